"""Direct transport writes for the push path, when the server is uvicorn's websockets-sansio.

Going through ASGI costs a message dict, framework checks, UTF-8 encoding and websocket framing
for every frame and every viewer. Instead, the ASGI entry point (``PushFastPath``) notes the
connection's transport in the scope, and the gateway writes frames it built once (``Frame.wire``)
straight to it. Everything else (handshake, reading client frames, ordinary closes) stays with
uvicorn and websockets; keepalive frames are the hub's (written like any other frame).

The one close the gateway writes itself is 4429 (too slow): uvicorn's ``send`` waits for a paused
transport to drain, which a viewer that stops reading never lets happen, so ``RawSocket.close``
puts the close frame behind what is already queued without waiting, and resets the connection if
that backlog has not reached the kernel within a bound.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

# The only import of uvicorn's websocket internals (the version range is pinned in pyproject.toml).
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.protocol import Protocol
from websockets.streams import StreamReader

from livebuy.gateway.frames import Frame

RAW_SOCKET = "livebuy.raw_socket"

# A websocket route served without the framework's layers: the handler's awaitable for a scope it
# serves, None for any other (which goes through the app as usual).
DirectRoute = Callable[[Scope, Receive, Send], Awaitable[None] | None]


class RawSocket:
    """The transport under one websocket.

    Captured once per connection: the per-delivery path is one ``is_closing`` check and one
    ``write``, both C calls on uvloop. Frames stop once either side starts closing the transport;
    the gateway itself stops offering frames before it sends a close frame of its own.
    """

    __slots__ = ("_protocol", "transport")

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self.transport: asyncio.Transport = protocol.transport
        self._protocol = protocol

    def write(self, data: bytes, max_bytes: int) -> bool:
        """Queue ``data`` (whole frames) on the transport, unless the peer is too slow for it.

        Too slow: bytes are still unsent and ``data`` would take them past ``max_bytes``. Then
        nothing is written and this returns False. An empty buffer always takes ``data`` (the
        kernel had room for everything so far), so one big burst never counts against a viewer.
        """
        transport = self.transport
        if transport.is_closing():
            return True
        unsent = transport.get_write_buffer_size()
        if unsent and unsent + len(data) > max_bytes:
            return False
        transport.write(data)
        return True

    def send(self, frames: Sequence[Frame], joined: bytes | None, max_bytes: int) -> bool:
        """``write`` the frames' bytes (``joined``, when the caller built them already)."""
        if joined is None:
            joined = frames[0].wire if len(frames) == 1 else b"".join(f.wire for f in frames)
        return self.write(joined, max_bytes)

    def close(self, code: int, reason: str, abort_after_s: float) -> None:
        """Send a close frame now, behind the frames already queued, and stop the connection.

        Nothing is written after the close frame, the endpoint's next ``receive`` is the
        disconnect, and the transport closes as soon as its buffer
        has reached the kernel (the peer gets the queued frames, the close frame, then FIN). A
        peer that does not read long enough for that to happen within ``abort_after_s`` is reset
        instead (RST), which frees the buffer at once whatever the peer does.
        """
        transport = self.transport
        protocol = self._protocol
        if transport.is_closing():
            return
        try:
            # Through the protocol's own state machine, so uvicorn knows the close is sent and
            # never writes another frame (its shutdown's 1012, a close reply) after this one.
            protocol.conn.send_close(code, reason)
        except InvalidState:
            return
        transport.write(b"".join(protocol.conn.data_to_send()))
        protocol.close_sent = True
        # What uvicorn does when the app sends a close: the app's next receive is the disconnect,
        # which is how the endpoint's read loop learns of this close without a task to wait on.
        protocol.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        transport.close()
        asyncio.get_running_loop().call_later(abort_after_s, self._abort_unless_gone)

    def accepted(self) -> None:
        """The handshake is answered: drop what uvicorn keeps of it (the request and response,
        with their headers, a few KiB per viewer), which it reads only until then, and what
        websockets' parser keeps of it (see ``drop_handshake_parser``); give the protocol a
        light receive queue and writable flag (see ``Inbox`` and ``Writable``)."""
        protocol = self._protocol
        del protocol.request
        del protocol.response
        drop_handshake_parser(protocol.conn)
        # Called by the endpoint's own coroutine, so nothing awaits either of them now.
        if type(protocol.queue) is asyncio.Queue and type(protocol.writable) is asyncio.Event:
            # Stand-ins with the methods uvicorn calls, not subclasses of what it declares.
            loose: Any = protocol
            loose.queue = Inbox(protocol.queue)
            loose.writable = Writable(protocol.writable.is_set())

    def denied(self) -> None:
        """The app answered the handshake with an HTTP response (``send_denial_response``).

        uvicorn's protocol does not count that as a finished handshake and would log an error
        for every refused viewer (a whole drain's worth); this tells it the handshake is over.
        """
        self._protocol.handshake_complete = True

    def _abort_unless_gone(self) -> None:
        if self._protocol.disconnected:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close() sends RST and drops the kernel's send buffer too, instead of
            # leaving an orphaned socket retrying towards a peer that does not read.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


class Inbox:
    """uvicorn's receive queue for one accepted websocket, as a list and one waiter.

    ``asyncio.Queue`` carries three deques and an ``asyncio.Event`` (a fourth): ~3.7 KiB per
    viewer, for a queue that holds a client frame or a disconnect at a time. uvicorn uses only
    ``put_nowait``, ``get`` and ``empty``; the one reader is the endpoint's coroutine.
    """

    __slots__ = ("_items", "_waiter")

    def __init__(self, queue: asyncio.Queue[Any]) -> None:
        self._items: list[Any] = []
        while not queue.empty():
            self._items.append(queue.get_nowait())
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        """Queue ``item`` and wake the reader."""
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        """Nothing is queued."""
        return not self._items

    async def get(self) -> Any:
        """The oldest item, once there is one."""
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("a websocket's receive queue has one reader")
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class Writable:
    """uvicorn's "transport may take more" flag for one accepted websocket, without the deque
    an ``asyncio.Event`` carries (~1 KiB per viewer): ``set``, ``clear`` and ``wait``."""

    __slots__ = ("_set", "_waiters")

    def __init__(self, value: bool) -> None:
        self._set = value
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        """The flag is up."""
        return self._set

    def set(self) -> None:
        """Raise the flag and wake every waiter."""
        self._set = True
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def clear(self) -> None:
        """Lower the flag."""
        self._set = False

    async def wait(self) -> bool:
        """Return once the flag is up."""
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class PushFastPath:
    """ASGI wrapper that hands websocket scopes the raw socket when uvicorn provides one.

    With ``user_timeout_ms``, each such socket also gets ``TCP_USER_TIMEOUT``: the kernel closes
    a connection whose sent data (frames, the hub's keepalive frames) stays unacknowledged that
    long, which is how a vanished peer is detected without a pong timer per connection.

    With ``send_buffer_bytes``, each socket's kernel send buffer is fixed at that size instead of
    growing to megabytes: a viewer's backlog then reaches the gateway's bound (and 4429) after a
    few hundred KiB rather than several MiB, and a slow viewer that still reads gets its close
    frame within ``ws_slow_close_s`` (the kernel wakes the writer once half its buffer is free).

    With ``direct``, the websocket routes it serves skip the app's middleware and router: their
    coroutines (a dozen frames, exit stacks and exception wrappers) would stay alive, per viewer,
    for as long as the viewer watches.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        user_timeout_ms: int | None = None,
        send_buffer_bytes: int | None = None,
        direct: DirectRoute | None = None,
    ) -> None:
        self.app = app
        self.user_timeout_ms = user_timeout_ms
        self.send_buffer_bytes = send_buffer_bytes
        self.direct = direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            protocol: Any = getattr(send, "__self__", None)
            if isinstance(protocol, WebSocketsSansIOProtocol):
                raw = RawSocket(protocol)
                if self.user_timeout_ms is not None:
                    set_user_timeout(raw.transport, self.user_timeout_ms)
                if self.send_buffer_bytes is not None:
                    set_send_buffer(raw.transport, self.send_buffer_bytes)
                # Noted in uvicorn's own scope, not a copy: a copy is another dict per viewer for
                # as long as it stays, and uvicorn reads the scope only to log the path.
                scope[RAW_SOCKET] = raw
            if self.direct is not None:
                handler = self.direct(scope, receive, send)
                if handler is not None:
                    await handler
                    return
        await self.app(scope, receive, send)


def drop_handshake_parser(conn: Protocol) -> None:
    """Give an open websocket's sans-I/O protocol a frame parser that holds no handshake.

    The server's parser is one generator for the whole connection: it parses the HTTP request,
    then frames for as long as the connection lives, and its suspended frame keeps the parsed
    request (every header, ~2.5 KiB) as a local all that time. Between frames it waits in
    ``StreamReader.at_eof`` with nothing buffered; a fresh frame parser (the base class's) starts
    from that very state. Anywhere else (part of a frame already read) it is left alone.
    """
    outer = conn.parser
    frames = getattr(outer, "gi_yieldfrom", None)
    waiting = getattr(frames, "gi_yieldfrom", None)
    if getattr(waiting, "gi_code", None) is not _AT_EOF or conn.reader.buffer or conn.reader.eof:
        return
    parser = Protocol.parse(conn)
    next(parser)  # start the generator, as websockets does
    conn.parser = parser


_AT_EOF = StreamReader.at_eof.__code__


def set_user_timeout(transport: asyncio.BaseTransport, timeout_ms: int) -> None:
    """Set ``TCP_USER_TIMEOUT`` on the transport's socket (Linux; a no-op where unsupported)."""
    option = getattr(socket, "TCP_USER_TIMEOUT", None)
    sock = transport.get_extra_info("socket")
    if option is not None and sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, option, timeout_ms)


def set_send_buffer(transport: asyncio.BaseTransport, size: int) -> None:
    """Fix the kernel send buffer (``SO_SNDBUF``; Linux doubles it) of the transport's socket."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
