"""One viewer's websocket: bounded buffering, in-order delivery, and 4429 for the slow."""

from __future__ import annotations

import asyncio
from collections import deque

from starlette.websockets import WebSocket

from livebuy.gateway.fastpath import RAW_SOCKET, RawSocket
from livebuy.gateway.frames import Frame
from livebuy.gateway.protocol import CloseCode

TOO_SLOW_REASON = "too slow: reconnect with since"


class Position:
    """The last show seq a viewer has: its own while it joins, its hub's once it is live."""

    __slots__ = ("seq",)

    def __init__(self, seq: int = 0) -> None:
        self.seq = seq


class ViewerConnection:
    """Delivers frames to one viewer without ever making the hub wait.

    Until the join/resume frames are out, live frames wait in a queue bounded in count and bytes.
    After that, with a raw socket (uvicorn websockets-sansio), ``offer`` writes pre-built frame
    bytes straight to the transport; the transport's unsent buffer is then the queue, bounded by
    ``max_bytes``. Without one, a writer task drains the queue through ASGI. Either way, a viewer
    that stops reading overflows its bound and is closed with 4429, to reconnect with ``since``.
    """

    def __init__(
        self, websocket: WebSocket, *, max_frames: int, max_bytes: int, close_timeout_s: float
    ) -> None:
        self.websocket = websocket
        self.too_slow = False
        self.max_bytes = max_bytes
        self._position = Position()
        self._raw: RawSocket | None = websocket.scope.get(RAW_SOCKET)
        self._direct = False
        self._max_frames = max_frames
        self._close_timeout_s = close_timeout_s
        self._queue: deque[tuple[int | None, Frame]] = deque()
        self._queued_bytes = 0
        self._wakeup = asyncio.Event()
        self._delivering: asyncio.Future[None] | None = None
        self._started = False
        self.restarted_while_joining = False

    @property
    def last_seq(self) -> int:
        """The last show seq this viewer has (sent or queued)."""
        return self._position.seq

    @last_seq.setter
    def last_seq(self, seq: int) -> None:
        self._position.seq = seq

    def live_transport(self, hub_position: Position) -> asyncio.Transport | None:
        """The transport the hub may write to directly, if this viewer has caught up with it.

        From then on the hub writes every show frame to the transport itself, and this viewer's
        position is the hub's (shared, so control frames keep carrying the right seq).
        """
        if not self._direct or self.too_slow or self._position.seq != hub_position.seq:
            return None
        assert self._raw is not None
        self._position = hub_position
        return self._raw.transport

    def offer(self, seq: int | None, frame: Frame) -> None:
        """Deliver or queue a frame (``seq=None`` for control frames); never awaits."""
        if self.too_slow:
            return
        if self._direct:
            assert self._raw is not None
            if seq is not None:
                if seq <= self.last_seq:
                    return
                self.last_seq = seq
            if not self._raw.write(frame.wire, self.max_bytes):
                self.mark_slow()
            return
        if (
            len(self._queue) >= self._max_frames
            or self._queued_bytes + len(frame.text) > self.max_bytes
        ):
            self.mark_slow()
            return
        self._queue.append((seq, frame))
        self._queued_bytes += len(frame.text)
        self._wakeup.set()

    def offer_batch(
        self, first_seq: int, last_seq: int, frames: list[Frame], joined: bytes
    ) -> None:
        """Deliver consecutive show frames; ``joined`` is all their bytes, built once per hub."""
        if self._direct and self.last_seq < first_seq and not self.too_slow:
            assert self._raw is not None
            self.last_seq = last_seq
            if not self._raw.write(joined, self.max_bytes):
                self.mark_slow()
            return
        for offset, frame in enumerate(frames):
            self.offer(first_seq + offset, frame)

    def mark_slow(self) -> None:
        """Stop delivering at once and close with 4429, so the viewer resumes with ``since``.

        Frames not yet handed to the transport are dropped. On a raw socket the close frame is
        written right away (behind what the transport already holds); otherwise the writer stops
        the send it may be blocked in and closes through ASGI, within the same time bound.
        """
        if self.too_slow:
            return
        self.too_slow = True
        self._queue.clear()
        self._queued_bytes = 0
        if self._direct:
            assert self._raw is not None
            self._raw.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON, self._close_timeout_s)
        elif self._delivering is not None:
            self._delivering.cancel()
        self._wakeup.set()

    async def run_writer(self) -> None:
        """Flush what queued during the join, then deliver (or go direct) until too slow."""
        delivering = asyncio.ensure_future(self._deliver())
        self._delivering = delivering
        try:
            await asyncio.wait({delivering})
        finally:
            delivering.cancel()
        if not delivering.cancelled():
            delivering.result()
        if self.too_slow:
            await self._close_slow()

    async def _deliver(self) -> None:
        while not self.too_slow:
            await self._wakeup.wait()
            self._wakeup.clear()
            if self._raw is not None and not self._direct:
                self._flush_raw()
            while self._queue and not self.too_slow:
                seq, frame = self._queue.popleft()
                self._queued_bytes -= len(frame.text)
                if seq is not None:
                    if seq <= self.last_seq:
                        continue
                    self.last_seq = seq
                await self.websocket.send_text(frame.text)

    async def _close_slow(self) -> None:
        if self._raw is not None:
            self._raw.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON, self._close_timeout_s)
            return
        # Another ASGI server: its close may wait behind a full socket buffer. Past the bound the
        # handler ends, and the server closes the connection as it does for any finished handler.
        try:
            async with asyncio.timeout(self._close_timeout_s):
                await self.websocket.close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)
        except TimeoutError:
            pass

    def _flush_raw(self) -> None:
        assert self._raw is not None
        chunks = []
        while self._queue:
            seq, frame = self._queue.popleft()
            if seq is not None:
                if seq <= self.last_seq:
                    continue
                self.last_seq = seq
            chunks.append(frame.wire)
        self._queued_bytes = 0
        self._direct = True
        if not self._raw.write(b"".join(chunks), self.max_bytes):
            self.mark_slow()

    def start(self) -> None:
        """The join/resume frames are out: start delivering what queued meanwhile."""
        self._started = True
        self._wakeup.set()

    def restart(self, seq: int, frame: Frame) -> None:
        """The show's history was lost: drop what is queued, deliver ``frame`` (a fresh snapshot
        at ``seq``) and continue after it. A viewer still joining may have read either history,
        so it is only flagged (``restarted_while_joining``) for the endpoint to send it away."""
        if self.too_slow:
            return
        self._queue.clear()
        self._queued_bytes = 0
        if not self._started:
            self.restarted_while_joining = True
            return
        self.last_seq = seq
        if self._direct:
            assert self._raw is not None
            if not self._raw.write(frame.wire, self.max_bytes):
                self.mark_slow()
            return
        self._queue.append((None, frame))
        self._queued_bytes += len(frame.text)
        self._wakeup.set()
