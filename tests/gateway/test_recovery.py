"""Redis loses its data: readiness says so, content is reloaded, every viewer starts over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from livebuy.redis import keys
from tests.servers import TIMEOUT_S, LiveServer, receive_json, receive_until, start_together

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]


async def _wait_ready(server: LiveServer) -> None:
    async with asyncio.timeout(TIMEOUT_S), server.http() as client:
        while True:
            if (await client.get("/readyz")).status_code == 200:
                return
            await asyncio.sleep(0.05)


async def test_readyz_is_503_while_the_content_is_gone(
    make_server: MakeServer, redis: Redis
) -> None:
    """After Redis lost its data, /readyz answers 503 (JSON) until the content is reloaded."""
    server = await make_server(recovery_interval_s=3600)
    async with server.http() as client:
        assert (await client.get("/readyz")).status_code == 200
        await redis.flushall()
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "content not loaded"}


async def test_viewers_on_two_processes_get_every_cue_after_redis_lost_its_data(
    make_server: MakeServer, redis: Redis
) -> None:
    """After FLUSHALL both processes reload the content and recover: each viewer gets a fresh
    snapshot (recovered: false), then all 30 new cues in order, whichever process published."""
    first, second = await start_together(make_server, 2, process=True)
    async with AsyncExitStack() as stack:
        viewers: list[ClientConnection] = []
        for server in (first, first, second, second):
            ws = await stack.enter_async_context(connect(server.ws_url(SHOW)))
            await receive_json(ws)
            viewers.append(ws)
        await first.post_cue(SHOW, {"kind": "announce", "text": "before the loss"})
        for ws in viewers:
            await receive_until(ws, "cue")

        await redis.flushall()
        await _wait_ready(first)
        await _wait_ready(second)
        snapshots = [await receive_until(ws, "snapshot") for ws in viewers]
        assert all(snapshot["data"]["recovered"] is False for snapshot in snapshots)
        assert {snapshot["data"]["epoch"] for snapshot in snapshots} == {
            await redis.get(keys.show_epoch(SHOW))
        }
        published = [
            await (first if index % 2 else second).post_cue(
                SHOW, {"kind": "announce", "text": f"after {index}"}
            )
            for index in range(30)
        ]
        for ws, snapshot in zip(viewers, snapshots, strict=True):
            frames = [await receive_until(ws, "cue") for _ in range(30)]
            assert [frame["data"]["text"] for frame in frames] == [f"after {i}" for i in range(30)]
            assert [frame["seq"] for frame in frames] == [p["seq"] for p in published]
            assert frames[0]["seq"] == snapshot["seq"] + 1


TWO_CUES = """\
id: quick
title: Quick rehearsal
length: 15000
cues:
  - {id: first, at: 9000, kind: announce, text: first}
  - {id: second, at: 11000, kind: announce, text: second}
"""


async def test_run_sheet_plays_on_after_redis_lost_its_data(
    make_server: MakeServer, redis: Redis, tmp_path: Path
) -> None:
    """After FLUSHALL the show keeps its start time and the players publish each later cue once."""
    (tmp_path / "quick.yaml").write_text(TWO_CUES)
    options = {
        "play_shows": True,
        "shows_dir": str(tmp_path),
        "demo_start_delay_ms": 1000,
        "loop_demo": False,
    }
    first, second = await start_together(make_server, 2, process=True, **options)
    async with first.http() as client:
        starts_at = (await client.get("/api/shows/quick")).json()["show"]["starts_at_ms"]
    async with connect(second.ws_url("quick")) as ws:
        await receive_json(ws)
        await redis.flushall()
        await _wait_ready(first)
        await _wait_ready(second)
        frames = [await receive_until(ws, "cue") for _ in range(2)]
        extra = None
        with contextlib.suppress(TimeoutError):
            extra = await asyncio.wait_for(receive_until(ws, "cue"), 1.0)
    async with first.http() as client:
        after = (await client.get("/api/shows/quick")).json()["show"]["starts_at_ms"]
    assert after == starts_at
    assert [frame["data"]["cue_id"] for frame in frames] == ["first", "second"]
    assert [frame["at"] - starts_at for frame in frames] == [9000, 11000]
    assert extra is None
