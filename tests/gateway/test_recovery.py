"""Redis loses its data: readiness says so, content is reloaded, every viewer starts over."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from livebuy.redis import keys
from tests.servers import TIMEOUT_S, LiveServer, receive_json, receive_until

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
    first = await make_server(process=True)
    second = await make_server(process=True)
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
