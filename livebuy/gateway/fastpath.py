"""Direct transport writes for the push path, when the server is uvicorn's websockets-sansio.

Going through ASGI costs a message dict, framework checks, UTF-8 encoding and websocket framing
for every frame and every viewer. Instead, the ASGI entry point (``PushFastPath``) notes the
connection's transport in the scope, and the gateway writes frames it built once (``Frame.wire``)
straight to it. Everything else (handshake, reading client frames, close) stays with uvicorn and
websockets; keepalive pings are the hub's (written like any other frame).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

RAW_SOCKET = "livebuy.raw_socket"


class RawSocket:
    """The transport under one websocket.

    Captured once per connection: the per-delivery path is one ``is_closing`` check and one
    ``write``, both C calls on uvloop. Frames stop once either side starts closing the transport;
    the gateway itself stops offering frames before it sends a close frame of its own.
    """

    __slots__ = ("transport",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self.transport: asyncio.Transport = protocol.transport

    def write(self, data: bytes) -> int:
        """Queue ``data`` (whole frames) on the transport; returns the bytes still unsent."""
        transport = self.transport
        if transport.is_closing():
            return 0
        transport.write(data)
        return transport.get_write_buffer_size()


class PushFastPath:
    """ASGI wrapper that hands websocket scopes the raw socket when uvicorn provides one.

    With ``user_timeout_ms``, each such socket also gets ``TCP_USER_TIMEOUT``: the kernel closes
    a connection whose sent data (frames, the hub's keepalive pings) stays unacknowledged that
    long, which is how a vanished peer is detected without a pong timer per connection.
    """

    def __init__(self, app: ASGIApp, *, user_timeout_ms: int | None = None) -> None:
        self.app = app
        self.user_timeout_ms = user_timeout_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            protocol: Any = getattr(send, "__self__", None)
            if isinstance(protocol, WebSocketsSansIOProtocol):
                raw = RawSocket(protocol)
                if self.user_timeout_ms is not None:
                    set_user_timeout(raw.transport, self.user_timeout_ms)
                scope = {**scope, RAW_SOCKET: raw}
        await self.app(scope, receive, send)


def set_user_timeout(transport: asyncio.BaseTransport, timeout_ms: int) -> None:
    """Set ``TCP_USER_TIMEOUT`` on the transport's socket (Linux; a no-op where unsupported)."""
    option = getattr(socket, "TCP_USER_TIMEOUT", None)
    sock = transport.get_extra_info("socket")
    if option is not None and sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, option, timeout_ms)
