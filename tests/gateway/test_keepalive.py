"""Keepalive: the hub pings every live viewer, and sockets carry TCP_USER_TIMEOUT."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from livebuy.gateway.fastpath import set_user_timeout
from tests.servers import TIMEOUT_S, LiveServer

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]


async def _frames_until_two_pings(url: str) -> list[Frame]:
    """Every frame a raw websocket client sees, until the server has pinged it twice.

    websockets' sans-I/O protocol is used directly because its asyncio client answers pings
    without showing them; this one answers too (the protocol queues the pong) and records them.
    """
    protocol = ClientProtocol(parse_uri(url))
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", int(url.split(":")[2].split("/")[0])
    )
    frames: list[Frame] = []
    try:
        protocol.send_request(protocol.connect())
        async with asyncio.timeout(TIMEOUT_S):
            while sum(frame.opcode is Opcode.PING for frame in frames) < 2:
                for data in protocol.data_to_send():
                    writer.write(data)
                await writer.drain()
                chunk = await reader.read(65536)
                assert chunk, "server closed the connection"
                protocol.receive_data(chunk)
                frames += [
                    event for event in protocol.events_received() if isinstance(event, Frame)
                ]
    finally:
        writer.close()
    return frames


async def test_live_viewer_gets_keepalive_pings_after_its_snapshot(make_server: MakeServer) -> None:
    """With a 0.2 s interval the viewer is pinged (empty payload) once it is live."""
    server = await make_server(ws_ping_interval_s=0.2)
    frames = await _frames_until_two_pings(server.ws_url(SHOW))
    assert frames[0].opcode is Opcode.TEXT and b'"type":"snapshot"' in frames[0].data
    pings = [frame for frame in frames if frame.opcode is Opcode.PING]
    assert [ping.data for ping in pings] == [b"", b""]


async def test_user_timeout_is_set_on_a_real_tcp_socket() -> None:
    """``set_user_timeout`` sets TCP_USER_TIMEOUT on the socket under an asyncio transport."""
    if not hasattr(socket, "TCP_USER_TIMEOUT"):
        pytest.skip("TCP_USER_TIMEOUT is Linux only")
    accepted: asyncio.Future[asyncio.BaseTransport] = asyncio.get_running_loop().create_future()

    class Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.set_result(transport)

    server = await asyncio.get_running_loop().create_server(Accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        transport = await asyncio.wait_for(accepted, TIMEOUT_S)
        set_user_timeout(transport, 40_000)
        sock = transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 40_000
    finally:
        writer.close()
        server.close()
        await server.wait_closed()
