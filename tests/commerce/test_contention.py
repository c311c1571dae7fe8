"""Flash-sale contention through the real HTTP API."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx
import orjson
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.redis import keys
from tests.commerce.helpers import SHOW, SKU, assert_invariant, auth, many_sessions, start_deal
from tests.servers import TIMEOUT_S, LiveServer, receive_until

MakeServer = Callable[..., Awaitable[LiveServer]]
# Below redis-py 8's default pool of 100 connections per server process (see docs/commerce.md).
CONCURRENCY = 80


async def _storm(
    server: LiveServer, attempts: list[tuple[str, str, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """Send every ``(token, idempotency key, body)`` from CONCURRENCY connections at once.

    Each worker has its own one-connection client: one httpx pool with thousands of queued
    requests spends its time managing the queue, not sending.
    """
    results: list[tuple[int, dict[str, Any]]] = [(0, {})] * len(attempts)
    todo = iter(enumerate(attempts))

    async def worker() -> None:
        async with httpx.AsyncClient(
            verify=False,
            base_url=server.base_url,
            limits=httpx.Limits(max_connections=1),
            timeout=TIMEOUT_S,
        ) as client:
            for index, (token, key, body) in todo:
                response = await client.post("/api/orders", json=body, headers=auth(token, key))
                results[index] = (response.status_code, response.json())

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return results


async def _deal_orders(redis: Redis, deal_id: str) -> list[dict[str, str]]:
    orders = []
    async for key in redis.scan_iter(match=keys.order_pattern()):
        fields = cast(dict[str, str], await redis.hgetall(key))
        if fields.get("deal_id") == deal_id:
            orders.append(fields)
    return orders


async def test_2000_buyers_for_100_deal_units(make_server: MakeServer, redis: Redis) -> None:
    """2,000 concurrent one-tap buys of a 100-unit deal: exactly 100 orders, the rest out_of_stock."""
    server = await make_server(process=True, push_stock=False)
    tokens = await many_sessions(server, redis, 2000)
    await start_deal(server, "storm", units=100, limit=1)
    before = await assert_invariant(redis, SKU)
    body = {"sku": SKU, "show_id": SHOW, "deal_id": "storm"}
    results = await _storm(server, [(token, "buy-1", body) for token in tokens])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 100, 409: 1900}, statuses
    codes = Counter(answer["error"]["code"] for status, answer in results if status == 409)
    assert codes == {"out_of_stock": 1900}
    orders = await _deal_orders(redis, "storm")
    assert len(orders) == 100 and len({order["customer"] for order in orders}) == 100
    after = await assert_invariant(redis, SKU)
    assert after["reserved"] == before["reserved"] + 100
    assert after["available"] == before["available"] - 100


async def test_duplicated_keys_and_per_customer_limits(
    make_server: MakeServer, redis: Redis
) -> None:
    """Every request sent twice with its key: no duplicate orders, at most 2 per customer."""
    server = await make_server(process=True, push_stock=False)
    tokens = await many_sessions(server, redis, 100)
    await start_deal(server, "dupes", units=100, limit=2)
    body = {"sku": SKU, "show_id": SHOW, "deal_id": "dupes"}
    attempts = [
        (token, f"key-{attempt}", body)
        for token in tokens
        for attempt in range(3)
        for _ in range(2)
    ]
    results = await _storm(server, attempts)
    by_request: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (token, key, _), (status, answer) in zip(attempts, results, strict=True):
        outcome = answer["id"] if status in (200, 201) else answer["error"]["code"]
        by_request[(token, key)].append(outcome)
    # Both copies of a request got the same answer: the same order, or (no unit came back in
    # between) a refusal. A refusal is not remembered, so the copy that runs after it (once the
    # first request's steps are done) tries again and may find the deal sold out meanwhile.
    refused = ("out_of_stock", "limit_exceeded")
    assert all(
        len(set(outcomes)) == 1 or all(outcome in refused for outcome in outcomes)
        for outcomes in by_request.values()
    ), [outcomes for outcomes in by_request.values() if len(set(outcomes)) > 1]
    refusals = {o[0] for o in by_request.values() if o[0] in ("out_of_stock", "limit_exceeded")}
    assert refusals <= {"out_of_stock", "limit_exceeded"}
    order_ids = {o[0] for o in by_request.values()} - refusals
    orders = await _deal_orders(redis, "dupes")
    assert {order["id"] for order in orders} == order_ids
    assert len(orders) == 100
    per_customer = Counter(order["customer"] for order in orders)
    assert max(per_customer.values()) <= 2
    raw_deal = await redis.hget(keys.show_state(SHOW), "deal:dupes")
    assert raw_deal is not None
    deal = orjson.loads(raw_deal)
    counters = await redis.hgetall(keys.deal_counters(SHOW, "dupes", deal["started_at"]))
    assert int(counters["taken"]) == 100
    assert all(int(counters[f"c:{customer}"]) == n for customer, n in per_customer.items())
    await assert_invariant(redis, SKU)


async def test_sold_out_gate_storm_then_cancellations(
    make_server: MakeServer, redis: Redis
) -> None:
    """A storm on a gated deal (stock frames on) sells exactly its units; units cancelled back are
    sold again once their stock frame is out, none refused wrongly."""
    server = await make_server(process=True, stock_push_interval_ms=20, sold_out_gate_ms=60_000)
    tokens = await many_sessions(server, redis, 305)
    await start_deal(server, "gated", units=50, limit=1)
    body = {"sku": SKU, "show_id": SHOW, "deal_id": "gated"}
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_until(ws, "snapshot")
        results = await _storm(server, [(token, "buy-1", body) for token in tokens[:300]])
        statuses = Counter(status for status, _ in results)
        assert statuses == {201: 50, 409: 250}, statuses
        assert {answer["error"]["code"] for status, answer in results if status == 409} == {
            "out_of_stock"
        }
        async with server.http() as client:
            metrics_text = (await client.get("/metrics")).text
            assert _sample(metrics_text, "livebuy_sold_out_gate_refusals_total") > 0
            sold = [
                (token, answer["id"])
                for token, (status, answer) in zip(tokens[:300], results, strict=True)
                if status == 201
            ]
            for token, order_id in sold[:5]:
                cancelled = await client.post(f"/api/orders/{order_id}/cancel", headers=auth(token))
                assert cancelled.status_code == 200, cancelled.text
            while True:
                frame = await receive_until(ws, "stock")
                if {"deal_id": "gated", "units_left": 5} in frame["data"]["deals"]:
                    break
        again = await _storm(server, [(token, "buy-2", body) for token in tokens[300:]])
        assert Counter(status for status, _ in again) == {201: 5}, again
    orders = await _deal_orders(redis, "gated")
    assert len([order for order in orders if order["status"] == "pending_payment"]) == 50
    await assert_invariant(redis, SKU)


def _sample(text: str, name: str) -> float:
    """The value of an unlabelled sample in a /metrics page."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")
