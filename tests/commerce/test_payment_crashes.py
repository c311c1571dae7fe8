"""kill -9 of the app (and of Redis) in every window of paying and cancelling loses no money."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from livebuy.faults import FAULT_POINTS
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from tests.commerce.helpers import (
    SKU,
    assert_invariant,
    assert_payments_consistent,
    auth,
    buy,
    card,
    in_buckets,
)
from tests.servers import TIMEOUT_S, ProcessServer, settings_for_tests

# Every app kill costs a process start (~2 s of CPU, mostly imports); Redis kills are cheap.
ROUNDS = 2  # each round kills one process at each of the five fault points
RANDOM_KILLS = 2  # SIGKILL of the app at a random moment of a pay or cancel
REDIS_KILLS = 8  # SIGKILL of redis-server while pays and cancels are in flight
SETTINGS: dict[str, Any] = {
    "push_stock": False,
    "reservation_hold_ms": 2000,
    "sweeper_interval_ms": 50,
    "payment_lock_ms": 300,
    "reconcile_grace_ms": 0,
    "payments_tick_ms": 20,
    "payments_lease_ms": 500,
    "refund_retry_base_ms": 50,
    "refund_retry_max_ms": 400,
}


class Shop:
    """Processes on one Redis: a survivor that stays up, and crashers started to be killed."""

    def __init__(self, redis_server: EmbeddedRedis) -> None:
        self.redis_server = redis_server
        self.processes: list[ProcessServer] = []
        self.orders: dict[str, str] = {}  # order id -> customer token
        self.keys = 0
        # Process starts are CPU-bound (imports): two at a time keeps each within its timeout.
        self._starting = asyncio.Semaphore(2)

    async def start(
        self, fault_points: list[str] | None = None, first: bool = False
    ) -> ProcessServer:
        # Only the first process loads the demo catalog; the others find it in Redis.
        settings = settings_for_tests(fault_points=fault_points or [], load_demo=first, **SETTINGS)
        async with self._starting:
            server = ProcessServer(settings, self.redis_server.url)
            self.processes.append(server)
            await server.start()
        return server

    async def stop(self) -> None:
        await asyncio.gather(*(server.stop() for server in self.processes))

    async def token(self, server: ProcessServer) -> str:
        async with server.http() as client:
            response = await client.post("/api/sessions")
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token

    async def order(self, server: ProcessServer, token: str, pay: bool) -> str:
        """A new order through the survivor, paid there if asked."""
        self.keys += 1
        async with server.http() as client:
            created = await buy(client, token, f"crash-{self.keys}", sku=SKU)
            assert created.status_code == 201, created.text
            order_id: str = created.json()["id"]
            self.orders[order_id] = token
            if pay:
                paid = await client.post(
                    f"/api/orders/{order_id}/pay", json=card(), headers=auth(token)
                )
                assert paid.status_code == 200, paid.text
        return order_id


async def _request(server: ProcessServer, path: str, token: str, body: Any = None) -> int:
    """POST and return the status, or 0 when the process died before answering."""
    try:
        async with server.http() as client:
            return (await client.post(path, json=body, headers=auth(token))).status_code
    except httpx.TransportError:
        return 0


async def _settled(redis: Redis, survivor: ProcessServer) -> None:
    """No refund due, no charge attempt open, no reservation left (all expired or sold), no
    order whose holds lag its status."""
    pending: dict[str, Any] = {}
    try:
        # Settling takes a hold (2 s) and a few refund retries; the margin is for a loaded machine.
        async with asyncio.timeout(TIMEOUT_S * 6):
            while True:
                pending = {
                    set_key.__name__: await in_buckets(redis, set_key)
                    for set_key in (
                        keys.refunds_due,
                        keys.charge_attempts,
                        keys.order_expiries,
                        keys.orders_sync,
                    )
                }
                if not any(pending.values()):
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"still pending: {pending}; survivor's log:\n{survivor.log_tail()}")


# ~70 s on a loaded 2-core machine (each app kill is a process start); well inside this bound.
@pytest.mark.timeout(300)
async def test_kill_9_in_every_window_of_pay_and_cancel(own_redis: EmbeddedRedis) -> None:
    """After kill -9 of app or Redis anywhere in pay/cancel: paid ⇔ charged once, refunds once."""
    rng = random.Random(10)
    redis = connect(own_redis.url)
    shop = Shop(own_redis)
    started = time.monotonic()
    kills: Counter[str] = Counter()
    try:
        survivor = await shop.start(first=True)
        before = await assert_invariant(redis, SKU)
        token = await shop.token(survivor)
        # Paying and cancelling only; a crash inside creating is test_create_recovery's.
        points = sorted(point for point in FAULT_POINTS if not point.startswith("create:"))
        for _ in range(ROUNDS):
            crashers = await asyncio.gather(*(shop.start([point]) for point in points))
            for point, crasher in zip(points, crashers, strict=True):
                paying = point.startswith("pay:")
                order_id = await shop.order(survivor, token, pay=not paying)
                action = "pay" if paying else "cancel"
                status = await _request(
                    crasher, f"/api/orders/{order_id}/{action}", token, card() if paying else None
                )
                kills[point if status == 0 else f"{point} (survived)"] += 1
        victims = await asyncio.gather(*(shop.start() for _ in range(RANDOM_KILLS)))
        for victim in victims:
            paying = rng.random() < 0.5
            order_id = await shop.order(survivor, token, pay=not paying)
            path = f"/api/orders/{order_id}/{'pay' if paying else 'cancel'}"
            request = asyncio.create_task(_request(victim, path, token, card() if paying else None))
            await asyncio.sleep(rng.uniform(0, 0.03))  # a random moment, on purpose
            await victim.kill()
            await request
            kills["random SIGKILL of the app"] += 1
        for _ in range(REDIS_KILLS):
            orders = [await shop.order(survivor, token, pay=index % 2 == 1) for index in range(4)]
            requests = [
                asyncio.create_task(
                    _request(
                        survivor,
                        f"/api/orders/{order_id}/{'cancel' if index % 2 else 'pay'}",
                        token,
                        None if index % 2 else card(),
                    )
                )
                for index, order_id in enumerate(orders)
            ]
            await asyncio.sleep(rng.uniform(0, 0.02))  # a random moment, on purpose
            await asyncio.to_thread(own_redis.kill)
            await asyncio.gather(*requests)
            await asyncio.to_thread(own_redis.start, port=own_redis.port)
            kills["SIGKILL of redis-server"] += 1
        await _settled(redis, survivor)
        outcomes = await assert_payments_consistent(redis)
        after = await assert_invariant(redis, SKU)
        assert after["reserved"] == 0
        assert after["sold"] - before["sold"] == outcomes.get("paid", 0)
        assert len(shop.orders) == sum(outcomes.values())
    finally:
        await shop.stop()
        await redis.aclose()
    print(
        f"\nkills: {dict(kills)}; orders: {outcomes}; "
        f"0 inconsistencies; {time.monotonic() - started:.1f} s"
    )
