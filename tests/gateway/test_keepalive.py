"""Keepalive: the hub pings every live viewer, and sockets carry TCP_USER_TIMEOUT."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from livebuy.gateway.fastpath import set_user_timeout
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer

SHOW = "spring-runway"
CUES = 20
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


async def test_a_busy_show_is_not_pinged_and_a_quiet_one_is(make_server: MakeServer) -> None:
    """While frames reach a viewer more often than the ping interval it gets no keepalive ping;
    once the show falls quiet the pings resume."""
    interval_s = 1.0
    server = await make_server(ws_ping_interval_s=interval_s)
    url = server.ws_url(SHOW)
    protocol = ClientProtocol(parse_uri(url))
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", int(url.split(":")[2].split("/")[0])
    )
    frames: list[Frame] = []
    stop = asyncio.Event()

    async def publish() -> None:
        # A cue every ~0.1 s for over two intervals: the old keepalive pinged twice meanwhile.
        async with server.http() as client:
            for _ in range(CUES):
                response = await client.post(
                    f"/api/shows/{SHOW}/cues",
                    json={"cue": {"kind": "announce", "text": "still live"}},
                    headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
                )
                assert response.status_code == 201, response.text
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)

    publisher: asyncio.Task[None] | None = None
    try:
        protocol.send_request(protocol.connect())
        async with asyncio.timeout(TIMEOUT_S + 10):
            while publisher is None or not publisher.done() or frames[-1].opcode is not Opcode.PING:
                for data in protocol.data_to_send():
                    writer.write(data)
                await writer.drain()
                chunk = await reader.read(65536)
                assert chunk, "server closed the connection"
                protocol.receive_data(chunk)
                frames += [
                    event for event in protocol.events_received() if isinstance(event, Frame)
                ]
                if publisher is None and frames:
                    publisher = asyncio.create_task(publish())
            await publisher
    finally:
        stop.set()
        if publisher is not None:
            publisher.cancel()
        writer.close()
    texts = [index for index, frame in enumerate(frames) if frame.opcode is Opcode.TEXT]
    cues = [i for i in texts if b'"type":"cue"' in frames[i].data]
    assert len(cues) == CUES
    between = frames[cues[0] : cues[-1]]
    assert [frame for frame in between if frame.opcode is Opcode.PING] == []
    # The read loop ended on the ping that came once the show was quiet.
    assert frames[-1].data == b""


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
