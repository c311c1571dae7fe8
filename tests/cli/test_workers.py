"""``livebuy serve --workers 2``: one port, both workers serve, a killed worker comes back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from livebuy.redis.connection import connect as connect_redis
from livebuy.redis.embedded import EmbeddedRedis
from tests.servers import TIMEOUT_S, ProcessServer, receive_json, settings_for_tests

SHOW = "quick"
SHORT_SHEET = """\
id: quick
title: Quick rehearsal
length: 1500
cues:
  - {id: open, at: 100, kind: announce, text: open}
  - {id: pin, at: 300, kind: pin, product_id: lunaire-aviator}
  - {id: deal, at: 500, kind: countdown, countdown_id: cd, label: go, duration_ms: 1000}
  - {id: close, at: 700, kind: unpin}
"""
STARTED = re.compile(r"worker \d+ started \(pid (\d+)\)")
# New connections to open while looking for both workers (each accepts from the one socket).
MAX_PROBES = 200


@pytest.fixture(scope="module")
async def supervised(
    redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ProcessServer]:
    """``serve --workers 2`` on one port, both workers candidates for the run sheet's player."""
    client = connect_redis(redis_server.url)
    await client.flushdb()
    await client.aclose()
    shows = tmp_path_factory.mktemp("shows")
    (shows / "quick.yaml").write_text(SHORT_SHEET)
    settings = settings_for_tests(
        play_shows=True,
        shows_dir=str(shows),
        demo_start_delay_ms=2000,
        loop_demo=False,
        data_dir=str(tmp_path_factory.mktemp("data")),
    )
    server = ProcessServer(settings, redis_server.url, workers=2)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()


async def _healthz_pid(server: ProcessServer) -> int:
    # A client per probe: a new connection, accepted by whichever worker takes it.
    async with httpx.AsyncClient(
        verify=False, base_url=server.base_url, timeout=TIMEOUT_S
    ) as client:
        return int((await client.get("/healthz")).json()["pid"])


async def _pids_seen(server: ProcessServer, until: int) -> set[int]:
    seen: set[int] = set()
    for _ in range(MAX_PROBES):
        seen.add(await _healthz_pid(server))
        if len(seen) >= until:
            break
    return seen


async def test_both_workers_take_connections_on_one_port(supervised: ProcessServer) -> None:
    """New HTTP connections to the one port are answered by two different worker processes."""
    pids = await _pids_seen(supervised, until=2)
    assert len(pids) == 2, f"only {pids} answered in {MAX_PROBES} connections"
    assert supervised.pid not in pids


async def test_run_sheet_plays_once_across_workers(supervised: ProcessServer) -> None:
    """Both workers run the player's candidate loop; the lease publishes every cue once."""
    async with connect(supervised.ws_url(SHOW, since=0)) as ws:
        frames = [await receive_json(ws) for _ in range(4)]
        extra = None
        with contextlib.suppress(TimeoutError):
            extra = await asyncio.wait_for(ws.recv(), 1.0)
    assert extra is None
    assert [f["data"]["cue_id"] for f in frames] == ["open", "pin", "deal", "close"]
    assert [f["seq"] for f in frames] == [1, 2, 3, 4]


async def test_killed_worker_is_restarted_and_the_other_keeps_its_viewers(
    supervised: ProcessServer,
) -> None:
    """SIGKILL one worker: its viewers are dropped, the other's keep every frame, and a new
    worker process takes connections on the same port."""
    viewers: dict[int, list[ClientConnection]] = {}
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(MAX_PROBES):
            ws = await stack.enter_async_context(connect(supervised.ws_url(SHOW)))
            await receive_json(ws)
            assert ws.response is not None
            viewers.setdefault(int(ws.response.headers["x-livebuy-pid"]), []).append(ws)
            if len(viewers) == 2 and min(len(group) for group in viewers.values()) >= 3:
                break
        assert len(viewers) == 2, f"every viewer went to {list(viewers)}"
        victim, survivor = sorted(viewers, key=lambda pid: len(viewers[pid]))
        os.kill(victim, signal.SIGKILL)
        for ws in viewers[victim]:
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(TIMEOUT_S):
                    while True:
                        await ws.recv()
        published = await supervised.post_cue(SHOW, {"kind": "announce", "text": "still here"})
        for ws in viewers[survivor]:
            frame = await receive_json(ws)
            assert frame["seq"] == published["seq"]
    # The supervisor logs the death and starts a replacement after a short backoff.
    replacement = await eventually(lambda: _started_since(supervised, {victim, survivor}))
    os.kill(replacement, 0)
    assert f"(pid {victim}) exited with signal SIGKILL" in supervised.log_tail(20_000)


async def test_sigterm_to_the_parent_drains_every_worker_then_exits(
    supervised: ProcessServer,
) -> None:
    """SIGTERM to the supervisor reaches every worker; it exits 0 once they all have (last test:
    it ends the module's server)."""
    workers = {int(pid) for pid in STARTED.findall(supervised.log_tail(20_000))}
    supervised.send_signal(signal.SIGTERM)
    assert await supervised.exited() == 0
    log = supervised.log_tail(50_000)
    assert "SIGTERM: stopping 2 worker(s)" in log
    assert "SIGTERM: draining before shutdown" in log
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def _started_since(server: ProcessServer, known: set[int]) -> int | None:
    started = {int(pid) for pid in STARTED.findall(server.log_tail(20_000))}
    return next(iter(started - known), None)


async def eventually(check: Callable[[], Awaitable[int | None]]) -> int:
    """Poll ``check`` until it returns a value, failing after the suite's timeout."""
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            result = await check()
            if result is not None:
                return result
            await asyncio.sleep(0.05)
