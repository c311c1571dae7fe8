"""Direct transport writes for the push path, when the server is uvicorn's websockets-sansio.

Going through ASGI costs a message dict, framework checks, UTF-8 encoding and websocket framing
for every frame and every viewer. Instead, the ASGI entry point (``PushFastPath``) notes the
connection's transport in the scope, and the gateway writes frames it built once (``Frame.wire``)
straight to it. Everything else (handshake, pings, close) stays with uvicorn and websockets.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

RAW_SOCKET = "livebuy.raw_socket"


class RawSocket:
    """The transport under one websocket, usable only while the websocket is open."""

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    @property
    def transport(self) -> asyncio.Transport:
        """The connection's asyncio transport."""
        return self._protocol.transport

    def is_open(self) -> bool:
        """Whether data frames may still be written (no close frame sent or received)."""
        return self._protocol.conn.state is State.OPEN and not self.transport.is_closing()

    def write(self, data: bytes) -> None:
        """Queue ``data`` (whole frames) on the transport; never blocks."""
        if self.is_open():
            self.transport.write(data)

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel (what a slow viewer piles up)."""
        return self.transport.get_write_buffer_size()


class PushFastPath:
    """ASGI wrapper that hands websocket scopes the raw socket when uvicorn provides one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            protocol: Any = getattr(send, "__self__", None)
            if isinstance(protocol, WebSocketsSansIOProtocol):
                scope = {**scope, RAW_SOCKET: RawSocket(protocol)}
        await self.app(scope, receive, send)
