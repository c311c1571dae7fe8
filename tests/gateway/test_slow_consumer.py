"""Slow consumers: closed with 4429 at once, reset within a bound, and never felt by others."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from livebuy.clock import now_ms
from livebuy.events.models import AnnounceEvent
from livebuy.events.stream import ShowStream
from tests.servers import TIMEOUT_S, LiveServer, receive_json

# Timing-sensitive under CPU contention: scripts/test runs these after the parallel phase,
# alone on the machine (see the serial marker in pyproject.toml).
pytestmark = pytest.mark.serial

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]
FRAME_TEXT = "x" * 16_000
# Small receive windows, so a client that stops reading backs the server up quickly.
CLIENT_RCVBUF = 32 * 1024


async def _small_window_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return sock


class SilentViewer:
    """A websocket client that completes the handshake and then reads nothing at all."""

    def __init__(self, url: str, port: int) -> None:
        self.url = url
        self.port = port
        self.protocol = ClientProtocol(parse_uri(url))
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        """Connect and read up to the end of the handshake only."""
        sock = await _small_window_socket(self.port)
        self.reader, self.writer = await asyncio.open_connection(sock=sock)
        self.protocol.send_request(self.protocol.connect())
        for data in self.protocol.data_to_send():
            self.writer.write(data)
        async with asyncio.timeout(TIMEOUT_S):
            while self.protocol.state is not State.OPEN:
                self.protocol.receive_data(await self.reader.read(1))

    async def read_to_the_end(self) -> str:
        """Read everything left: ``close <code>``, ``reset``, or ``eof`` (no close frame)."""
        assert self.reader is not None
        try:
            async with asyncio.timeout(TIMEOUT_S * 3):
                while True:
                    chunk = await self.reader.read(1 << 20)
                    if not chunk:
                        return "eof"
                    self.protocol.receive_data(chunk)
                    for event in self.protocol.events_received():
                        if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                            assert self.protocol.close_rcvd is not None
                            return f"close {self.protocol.close_rcvd.code}"
        except ConnectionResetError:
            return "reset"

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _metric(server: LiveServer, name: str) -> float:
    async with server.http() as client:
        text = (await client.get("/metrics")).text
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def _wait_for_metric(server: LiveServer, name: str, value: float) -> None:
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            if await _metric(server, name) == value:
                return
            await asyncio.sleep(0.05)


async def _read_all(ws: ClientConnection, count: int, latencies: list[int]) -> list[int]:
    """``count`` frames' seqs; each frame's latency from its append (``at``) is recorded."""
    seqs = []
    for _ in range(count):
        frame = await receive_json(ws)
        latencies.append(now_ms() - frame["at"])
        seqs.append(frame["seq"])
    return seqs


async def _push(stream: ShowStream, count: int) -> None:
    # Paced, as a show is: a steady stream of big frames rather than one burst.
    for _ in range(count):
        await stream.append(
            SHOW, now_ms(), AnnounceEvent(cue_id="c", kind="announce", text=FRAME_TEXT)
        )
        await asyncio.sleep(0.002)


async def _fan_out(
    readers: list[ClientConnection], stream: ShowStream, start: int, count: int
) -> list[int]:
    """Push ``count`` frames; every reader must get all of them in order. Returns latencies."""
    latencies: list[int] = []
    reading = [asyncio.create_task(_read_all(ws, count, latencies)) for ws in readers]
    await _push(stream, count)
    async with asyncio.timeout(TIMEOUT_S * 3):
        results = await asyncio.gather(*reading)
    for seqs in results:
        assert seqs == list(range(start + 1, start + count + 1))
    return latencies


def _p99(values: list[int]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def test_slow_viewers_are_closed_4429_or_reset_and_others_get_every_frame(
    make_server: MakeServer, redis: Redis
) -> None:
    """A viewer that reads nothing is dropped (4429, or RST within the bound); a slow reader gets
    4429; the hub forgets both, counts them, and every other viewer gets every frame in order."""
    server = await make_server(process=True, send_queue_bytes=64 * 1024)
    stream = ShowStream(redis, maxlen=10_000)
    count = 200
    async with connect(server.ws_url(SHOW)) as first, connect(server.ws_url(SHOW)) as second:
        start = (await receive_json(first))["seq"]
        await receive_json(second)
        baseline = await _fan_out([first, second], stream, start, count)

        silent = SilentViewer(server.ws_url(SHOW), server.port)
        await silent.open()
        slow_sock = await _small_window_socket(server.port)
        slow = await connect(server.ws_url(SHOW), sock=slow_sock, max_queue=1)
        slow_frames = 0

        async def read_slowly() -> Any:
            nonlocal slow_frames
            try:
                while True:
                    await slow.recv()
                    slow_frames += 1
                    await asyncio.sleep(0.01)  # a reader slower than the show
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd is not None else None

        slow_reading = asyncio.create_task(read_slowly())
        try:
            await _wait_for_metric(server, f'livebuy_viewers{{show_id="{SHOW}"}}', 4.0)
            # Push until both have overflowed (the kernel buffers a few MiB per socket first).
            with_slow: list[int] = []
            pushed = count
            async with asyncio.timeout(TIMEOUT_S * 3):
                while await _metric(server, "livebuy_slow_viewer_closes_total") < 2:
                    with_slow += await _fan_out([first, second], stream, start + pushed, count)
                    pushed += count
            # The server forgets both slow viewers and counts them.
            await _wait_for_metric(server, "livebuy_slow_viewer_closes_total", 2.0)
            await _wait_for_metric(server, f'livebuy_viewers{{show_id="{SHOW}"}}', 2.0)
            async with asyncio.timeout(TIMEOUT_S * 3):
                slow_code = await slow_reading
            silent_end = await silent.read_to_the_end()
        finally:
            silent.close()
            slow_reading.cancel()
            await slow.close()
    assert slow_code == 4429
    assert slow_frames < pushed - count
    # Never a close-less end: the close frame, or a reset because the peer did not read.
    assert silent_end in {"close 4429", "reset"}
    report = {
        "other_viewers_p99_ms_without_slow": _p99(baseline),
        "other_viewers_p99_ms_with_slow": _p99(with_slow),
        "silent_viewer_end": silent_end,
        "slow_reader_frames_before_4429": slow_frames,
    }
    print("slow consumer:", json.dumps(report))
