"""Acknowledged orders survive kill -9 of Redis: the AOF is written before Redis answers.

A killed process loses nothing the kernel already holds, whatever the fsync policy; the test runs
with ``appendfsync always`` (what compose runs) because that is also what survives a power cut,
which no test on one machine can stage.
"""

from __future__ import annotations

import asyncio
from typing import cast

import httpx
from redis.asyncio import Redis

from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from tests.commerce.helpers import SKU, assert_invariant, auth, session_tokens
from tests.servers import TIMEOUT_S, InProcessServer, settings_for_tests

BUYERS = 20
# Orders each buyer tries while Redis is killed under it; the kill lands after KILL_AFTER answers.
ATTEMPTS = 15
KILL_AFTER = 60


async def test_acknowledged_orders_survive_kill_9_of_redis(own_redis: EmbeddedRedis) -> None:
    """Every order answered 201 before Redis was SIGKILLed is there after it restarts, intact."""
    server = InProcessServer(settings_for_tests(push_stock=False), own_redis.url)
    await server.start()
    acknowledged: list[str] = []
    answered = 0
    killed = asyncio.Event()
    try:
        tokens = await session_tokens(server, BUYERS)

        async def buyer(index: int, token: str) -> None:
            nonlocal answered
            async with server.http() as client:
                for attempt in range(ATTEMPTS):
                    try:
                        response = await client.post(
                            "/api/orders",
                            json={"sku": SKU, "quantity": 1},
                            headers=auth(token, f"durable-{index}-{attempt}"),
                        )
                    except httpx.TransportError:
                        continue
                    answered += 1
                    if response.status_code == 201:
                        acknowledged.append(response.json()["id"])
                    else:
                        # While Redis is gone the API answers 503, never a 500 or a lost order.
                        assert response.status_code == 503, response.text
                    if answered >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        own_redis.kill()

        await asyncio.gather(*(buyer(index, token) for index, token in enumerate(tokens)))
        assert killed.is_set() and acknowledged
    finally:
        await server.stop()
    own_redis.start(port=own_redis.port)
    redis: Redis = connect(own_redis.url)
    try:
        async with asyncio.timeout(TIMEOUT_S):
            for order_id in acknowledged:
                fields = cast(dict[str, str], await redis.hgetall(keys.order(order_id)))
                assert fields.get("status") == "pending_payment", (order_id, fields)
        counters = await assert_invariant(redis, SKU)
        assert counters["reserved"] >= len(acknowledged)
    finally:
        await redis.aclose()
