"""One viewer's websocket as a small state machine: joining → live → closing.

Every frame for a viewer goes through ``ViewerConnection.deliver`` (show frames with their seq,
control frames without), which alone orders and de-duplicates them, then hands what is new to
the viewer's sink: the raw transport (``fastpath.RawSocket``, the one adapter over uvicorn's
internals) or, under a server that offers none, an ASGI writer (``AsgiSink``). The one path
around ``deliver`` is the hub's tight loop (hub.py): a live viewer on a raw transport that has
caught up with its hub shares the hub's position, so the hub writes to its transport directly and
there is nothing left to de-duplicate — at 10k viewers a Python call per viewer per frame would
cost more than the framing it saves.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Coroutine, Sequence
from typing import Any

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


class State(enum.Enum):
    """Where a viewer connection is in its life."""

    # The snapshot or history is on its way: frames wait in a queue bounded in count and bytes.
    JOINING = "joining"
    # Frames go to the sink as they come (or, caught up on a raw transport, straight from the hub).
    LIVE = "live"
    # Too slow: nothing more is delivered; the 4429 close is on its way.
    CLOSING = "closing"


class AsgiSink:
    """Frames through ASGI ``send``, for servers without a raw transport: a writer task drains a
    queue bounded in count and bytes, so a viewer that stops reading overflows it (4429)."""

    def __init__(self, websocket: WebSocket, *, max_frames: int, close_timeout_s: float) -> None:
        self._websocket = websocket
        self._max_frames = max_frames
        self._close_timeout_s = close_timeout_s
        self._queue: deque[Frame] = deque()
        self._queued_bytes = 0
        self._wakeup = asyncio.Event()
        self._pumping: asyncio.Future[None] | None = None
        self._close: tuple[int, str] | None = None

    def send(self, frames: Sequence[Frame], joined: bytes | None, max_bytes: int) -> bool:
        """Queue ``frames``, unless that takes the queue past its bounds (then False)."""
        size = sum(len(frame.text) for frame in frames)
        if len(self._queue) + len(frames) > self._max_frames or (
            self._queued_bytes + size > max_bytes
        ):
            return False
        self._queue.extend(frames)
        self._queued_bytes += size
        self._wakeup.set()
        return True

    def discard(self) -> None:
        """Drop the frames not sent yet."""
        self._queue.clear()
        self._queued_bytes = 0

    def close(self, code: int, reason: str, abort_after_s: float) -> None:
        """Stop sending (a send blocked on a full socket is cancelled) and close through ASGI."""
        self._close = (code, reason)
        self.discard()
        if self._pumping is not None:
            self._pumping.cancel()
        self._wakeup.set()

    async def run(self) -> None:
        """Send queued frames until closed, then close within the time bound."""
        pumping = asyncio.ensure_future(self._pump())
        self._pumping = pumping
        try:
            await asyncio.wait({pumping})
        finally:
            pumping.cancel()
        if not pumping.cancelled():
            pumping.result()
        if self._close is None:
            return
        # Another ASGI server: its close may wait behind a full socket buffer. Past the bound the
        # handler ends, and the server closes the connection as it does for any finished handler.
        try:
            async with asyncio.timeout(self._close_timeout_s):
                await self._websocket.close(*self._close)
        except TimeoutError:
            pass

    async def _pump(self) -> None:
        while self._close is None:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue and self._close is None:
                frame = self._queue.popleft()
                self._queued_bytes -= len(frame.text)
                await self._websocket.send_text(frame.text)


class ViewerConnection:
    """Delivers frames to one viewer without ever making the hub wait (see the module doc).

    ``deliver`` never awaits. A viewer that stops reading overflows its bound (the join queue,
    the transport's unsent bytes, or the ASGI queue, each at most ``max_bytes``) and is closed with
    4429, to reconnect with ``since``.

    One lives per viewer for as long as it watches: slots, and a plain list for the join queue
    (an empty deque or ``asyncio.Event`` is over half a KiB).
    """

    __slots__ = (
        "_close_timeout_s",
        "_close_with",
        "_max_frames",
        "_pending",
        "_pending_bytes",
        "_position",
        "_raw",
        "_sink",
        "max_bytes",
        "restarted_while_joining",
        "state",
        "websocket",
    )

    def __init__(
        self, websocket: WebSocket, *, max_frames: int, max_bytes: int, close_timeout_s: float
    ) -> None:
        self.websocket = websocket
        self.state = State.JOINING
        self.max_bytes = max_bytes
        self.restarted_while_joining = False
        self._raw: RawSocket | None = websocket.scope.get(RAW_SOCKET)
        self._sink: RawSocket | AsgiSink = self._raw or AsgiSink(
            websocket, max_frames=max_frames, close_timeout_s=close_timeout_s
        )
        self._position = Position()
        self._max_frames = max_frames
        self._close_timeout_s = close_timeout_s
        self._pending: list[tuple[int | None, Frame]] = []
        self._pending_bytes = 0
        # The close this viewer gets once it is CLOSING: 4429 (too slow) or 1012 (drain).
        self._close_with = (CloseCode.TOO_SLOW, TOO_SLOW_REASON)

    @property
    def too_slow(self) -> bool:
        """This viewer is being closed with 4429."""
        return self.state is State.CLOSING and self._close_with[0] == CloseCode.TOO_SLOW

    @property
    def last_seq(self) -> int:
        """The last show seq this viewer has (sent or on its way)."""
        return self._position.seq

    @last_seq.setter
    def last_seq(self, seq: int) -> None:
        self._position.seq = seq

    def hub_transport(self, hub_position: Position) -> asyncio.Transport | None:
        """The transport the hub may write to directly, if this viewer is live on a raw
        transport and has caught up with it.

        From then on the hub writes every show frame to the transport itself, and this viewer's
        position is the hub's (shared, so control frames keep carrying the right seq).
        """
        if self.state is not State.LIVE or self._raw is None:
            return None
        if self._position.seq != hub_position.seq:
            return None
        self._position = hub_position
        return self._raw.transport

    def deliver(
        self, seq: int | None, frames: Sequence[Frame], joined: bytes | None = None
    ) -> None:
        """Hand ``frames`` to this viewer: consecutive show frames from ``seq``, or control frames
        (``seq=None``); ``joined``, if given, is all their bytes, built once per hub.

        The one place a viewer's frames are ordered and de-duplicated: show frames it already
        has (``seq <= last_seq``) are dropped.
        """
        if self.state is State.LIVE:
            if seq is not None:
                skip = self.last_seq + 1 - seq
                if skip > 0:
                    if skip >= len(frames):
                        return
                    frames, joined = frames[skip:], None
                    seq += skip
                self.last_seq = seq + len(frames) - 1
            if not self._sink.send(frames, joined, self.max_bytes):
                self.mark_slow()
        elif self.state is State.JOINING:
            for offset, frame in enumerate(frames):
                if (
                    len(self._pending) >= self._max_frames
                    or self._pending_bytes + len(frame.text) > self.max_bytes
                ):
                    self.mark_slow()
                    return
                self._pending.append((None if seq is None else seq + offset, frame))
                self._pending_bytes += len(frame.text)

    def start(self) -> None:
        """joining → live: the join/resume frames are out (``last_seq`` set); what queued
        meanwhile and is newer goes out now, in one write."""
        if self.state is not State.JOINING:
            return
        self.state = State.LIVE
        pending, self._pending = self._pending, []
        self._pending_bytes = 0
        fresh: list[Frame] = []
        for seq, frame in pending:
            if seq is not None:
                if seq <= self.last_seq:
                    continue
                self.last_seq = seq
            fresh.append(frame)
        if fresh and not self._sink.send(fresh, None, self.max_bytes):
            self.mark_slow()

    def mark_slow(self) -> None:
        """→ closing: stop delivering at once and close with 4429, so the viewer resumes with
        ``since``.

        Frames not yet handed to the sink are dropped. A live viewer's close goes out right away
        (on a raw transport, behind what it already holds); one still joining is closed by
        ``writer`` once its join frames are out.
        """
        self._close(CloseCode.TOO_SLOW, TOO_SLOW_REASON)

    def close_for_restart(self, reason: str) -> bool:
        """→ closing with 1012 and ``reason`` (the drain's reconnect hint), like ``mark_slow``.

        False if this viewer was already closing.
        """
        return self._close(CloseCode.RESTARTING, reason)

    def _close(self, code: CloseCode, reason: str) -> bool:
        if self.state is State.CLOSING:
            return False
        was_live = self.state is State.LIVE
        self.state = State.CLOSING
        self._close_with = (code, reason)
        self._pending.clear()
        self._pending_bytes = 0
        if was_live:
            self._sink.close(code, reason, self._close_timeout_s)
        return True

    def writer(self) -> Coroutine[Any, Any, None] | None:
        """After ``start``: the ASGI writer, to run until this viewer is closed; None on a raw
        transport, which needs no task (frames are written as they come, and its close ends
        the endpoint's read, see ``RawSocket.close``).

        A viewer closed while it was joining gets its close now that its join frames are out.
        """
        if self.state is State.CLOSING:
            self._sink.close(*self._close_with, self._close_timeout_s)
        if isinstance(self._sink, AsgiSink):
            return self._sink.run()
        return None

    def restart(self, seq: int, frame: Frame) -> None:
        """The show's history was lost: drop what is queued, deliver ``frame`` (a fresh snapshot
        at ``seq``) and continue after it. A viewer still joining may have read either history,
        so it is only flagged (``restarted_while_joining``) for the endpoint to send it away."""
        if self.state is State.CLOSING:
            return
        self._pending.clear()
        self._pending_bytes = 0
        if self.state is State.JOINING:
            self.restarted_while_joining = True
            return
        self.last_seq = seq
        if isinstance(self._sink, AsgiSink):
            self._sink.discard()
        if not self._sink.send([frame], None, self.max_bytes):
            self.mark_slow()
