"""`livebuy demo` as a user runs it: a real process with its own embedded redis-server."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from livebuy.redis.embedded import free_port
from tests.servers import TIMEOUT_S, receive_json


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
async def test_demo_serves_the_show_and_stops_its_redis(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    """The demo serves the show's snapshot, and Ctrl-C or SIGTERM also stops its redis-server."""
    port = free_port()
    env = {**os.environ, "LIVEBUY_DATA_DIR": str(tmp_path), "LIVEBUY_LOG_JSON": "false"}
    env.pop("LIVEBUY_REDIS_URL", None)
    output = tmp_path / "demo.out"
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "livebuy", "demo", "--port", str(port), "--no-video"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        async with asyncio.timeout(TIMEOUT_S * 3), httpx.AsyncClient(verify=False) as client:
            while True:
                try:
                    ready = await client.get(f"http://127.0.0.1:{port}/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        async with connect(f"ws://127.0.0.1:{port}/ws/shows/spring-runway") as ws:
            assert (await receive_json(ws))["type"] == "snapshot"
        printed = output.read_text()
        assert "token:" in printed
        match = re.search(r"redis://127\.0\.0\.1:(\d+)/0 \(embedded\)", printed)
        assert match is not None, printed
        redis_port = int(match.group(1))
        assert _port_open(redis_port)
    finally:
        process.send_signal(stop_signal)
        await asyncio.wait_for(process.wait(), TIMEOUT_S * 2)
    assert not _port_open(redis_port)
