"""Keepalive: the hub sends every live viewer of a quiet show an empty pong, and sockets carry
TCP_USER_TIMEOUT."""

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


class RawViewer:
    """A viewer on websockets' sans-I/O protocol, which shows every control frame (its asyncio
    client hides them) and counts what the client had to send back after its handshake."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._protocol = ClientProtocol(parse_uri(url))
        self.frames: list[Frame] = []
        self.replies = 0

    async def read_until(self, done: Callable[[list[Frame]], bool]) -> None:
        """Read frames until ``done(frames)`` (within the test timeout)."""
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", int(self._url.split(":")[2].split("/")[0])
        )
        protocol = self._protocol
        try:
            protocol.send_request(protocol.connect())
            handshake = True
            async with asyncio.timeout(TIMEOUT_S + 10):
                while not done(self.frames):
                    for data in protocol.data_to_send():
                        self.replies += 0 if handshake else 1
                        writer.write(data)
                    handshake = False
                    await writer.drain()
                    chunk = await reader.read(65536)
                    assert chunk, "server closed the connection"
                    protocol.receive_data(chunk)
                    self.frames += [
                        event for event in protocol.events_received() if isinstance(event, Frame)
                    ]
        finally:
            writer.close()


def _keepalives(frames: list[Frame]) -> list[Frame]:
    return [frame for frame in frames if frame.opcode in (Opcode.PING, Opcode.PONG)]


async def test_live_viewer_gets_keepalive_pongs_after_its_snapshot(make_server: MakeServer) -> None:
    """With a 0.2 s interval the live viewer gets empty unsolicited pongs, which it does not
    answer (no ping, so nothing comes back for the server to parse)."""
    server = await make_server(ws_ping_interval_s=0.2)
    viewer = RawViewer(server.ws_url(SHOW))
    await viewer.read_until(lambda frames: len(_keepalives(frames)) >= 2)
    assert viewer.frames[0].opcode is Opcode.TEXT
    assert b'"type":"snapshot"' in viewer.frames[0].data
    keepalives = _keepalives(viewer.frames)
    assert [(frame.opcode, frame.data) for frame in keepalives] == [(Opcode.PONG, b"")] * 2
    assert viewer.replies == 0


async def test_a_busy_show_gets_no_keepalive_and_a_quiet_one_does(make_server: MakeServer) -> None:
    """While frames reach a viewer more often than the keepalive interval it gets no keepalive
    frame; once the show falls quiet they resume."""
    server = await make_server(ws_ping_interval_s=1.0)
    viewer = RawViewer(server.ws_url(SHOW))
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

    def quiet_after_cues(frames: list[Frame]) -> bool:
        nonlocal publisher
        if publisher is None and frames:
            publisher = asyncio.create_task(publish())
        return (
            publisher is not None
            and publisher.done()
            and frames[-1].opcode in (Opcode.PING, Opcode.PONG)
        )

    try:
        await viewer.read_until(quiet_after_cues)
        assert publisher is not None
        await publisher
    finally:
        stop.set()
        if publisher is not None:
            publisher.cancel()
    frames = viewer.frames
    cues = [
        index
        for index, frame in enumerate(frames)
        if frame.opcode is Opcode.TEXT and b'"type":"cue"' in frame.data
    ]
    assert len(cues) == CUES
    assert _keepalives(frames[cues[0] : cues[-1]]) == []
    # The read ended on the keepalive that came once the show was quiet.
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
