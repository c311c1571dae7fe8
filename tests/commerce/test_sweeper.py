"""Unpaid reservations expire once, with two server processes sweeping the same orders."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from livebuy.redis import keys
from tests.commerce.helpers import (
    SKU,
    assert_invariant,
    buy,
    in_buckets,
    many_sessions,
    order_events,
)
from tests.servers import TIMEOUT_S, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
ORDERS = 30


async def test_two_sweepers_expire_each_order_once(make_server: MakeServer, redis: Redis) -> None:
    """Both processes sweep; every order expires exactly once and every unit comes back."""
    options = {
        "process": True,
        "push_stock": False,
        "reservation_hold_ms": 1000,
        "sweeper_interval_ms": 10,
    }
    first, _second = await asyncio.gather(make_server(**options), make_server(**options))
    before = await assert_invariant(redis, SKU)
    tokens = await many_sessions(first, redis, ORDERS)
    async with first.http() as client:
        for index, token in enumerate(tokens):
            response = await buy(client, token, f"sweep-{index}", sku=SKU)
            assert response.status_code == 201, response.text
    # The sweepers run on their own clock: poll Redis until no reservation is left.
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            if not await in_buckets(redis, keys.order_expiries):
                break
            await asyncio.sleep(0.05)
    events = await order_events(redis)
    assert Counter(fields["status"] for fields in events) == {
        "pending_payment": ORDERS,
        "expired": ORDERS,
    }
    assert await assert_invariant(redis, SKU) == before
