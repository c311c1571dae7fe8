"""One viewer's websocket: a bounded send queue drained by a single writer task."""

from __future__ import annotations

import asyncio
from collections import deque

from starlette.websockets import WebSocket

from livebuy.gateway.protocol import CloseCode


class ViewerConnection:
    """Frames wait in a queue bounded in count and bytes; overflowing it marks the viewer slow.

    The hub only ever calls ``offer``, which never awaits, so one viewer that stops reading can
    never delay the show for the others: its queue fills and the writer closes it with 4429.
    """

    def __init__(self, websocket: WebSocket, *, max_frames: int, max_bytes: int) -> None:
        self.websocket = websocket
        self.last_seq = 0
        self._max_frames = max_frames
        self._max_bytes = max_bytes
        self._queue: deque[tuple[int | None, str]] = deque()
        self._queued_bytes = 0
        self._wakeup = asyncio.Event()
        self.too_slow = False

    def offer(self, seq: int | None, frame: str) -> None:
        """Queue a frame (``seq=None`` for control frames); on overflow mark the viewer too slow."""
        if self.too_slow:
            return
        if (
            len(self._queue) >= self._max_frames
            or self._queued_bytes + len(frame) > self._max_bytes
        ):
            self.too_slow = True
            self._queue.clear()
            self._queued_bytes = 0
        else:
            self._queue.append((seq, frame))
            self._queued_bytes += len(frame)
        self._wakeup.set()

    async def run_writer(self, close_timeout_s: float) -> None:
        """Send queued frames in order, skipping show frames the viewer already has (``seq``)."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue and not self.too_slow:
                seq, frame = self._queue.popleft()
                self._queued_bytes -= len(frame)
                if seq is not None:
                    if seq <= self.last_seq:
                        continue
                    self.last_seq = seq
                await self.websocket.send_text(frame)
            if self.too_slow:
                # The close frame itself may wait behind a full socket buffer: bound that wait.
                try:
                    async with asyncio.timeout(close_timeout_s):
                        await self.websocket.close(
                            CloseCode.TOO_SLOW, "too slow: reconnect with since"
                        )
                except TimeoutError:
                    pass
                return
