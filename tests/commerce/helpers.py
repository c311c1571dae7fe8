"""Helpers of the commerce tests: sessions, deals and stock checks on a real server and Redis."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any, cast

import httpx
from redis.asyncio import Redis

from livebuy.redis import keys
from livebuy.sessions.service import SessionService
from tests.servers import TIMEOUT_S, LiveServer

SHOW = "spring-runway"
SKU = "STW-CRT-WHT-40"  # 220 units in the demo catalog
PRODUCT = "stridewell-court-low"
CARD_OK = "4242424242424242"
CARD_DECLINE = "4000000000000002"
CARD_TIMEOUT = "4000000000000119"
CARD_REFUND_FAILS = "4000000000005126"  # approved; its first 3 refunds fail
CARD_CHARGED_TIMEOUT = "4000000000000259"  # charged, but the answer is lost


def card(number: str = CARD_OK) -> dict[str, Any]:
    """A payment body with a demo test card."""
    return {"card_number": number, "expiry_month": 12, "expiry_year": 2030, "cvc": "123"}


async def session_tokens(server: LiveServer, count: int) -> list[str]:
    """``count`` guest sessions from ``POST /api/sessions``, at most 50 requests at a time."""
    gate = asyncio.Semaphore(50)
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(
        verify=False, base_url=server.base_url, limits=limits, timeout=30
    ) as client:

        async def one() -> str:
            async with gate:
                response = await client.post("/api/sessions")
            assert response.status_code == 201, response.text
            token: str = response.json()["token"]
            return token

        return await asyncio.gather(*(one() for _ in range(count)))


async def many_sessions(server: LiveServer, redis: Redis, count: int) -> list[str]:
    """``count`` real sessions issued straight by the session service of an in-process server.

    Thousands of ``POST /api/sessions`` would only measure the HTTP client; the buys that follow
    still go through HTTP and the server still verifies every token.
    """
    service = SessionService.from_settings(redis, server.settings)
    return [(await service.create(None)).token for _ in range(count)]


def auth(token: str, idempotency_key: str | None = None) -> dict[str, str]:
    """Headers of a viewer's request."""
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


async def start_deal(
    server: LiveServer, deal_id: str, units: int, limit: int = 1, product: str = PRODUCT
) -> None:
    """Start a flash deal in the demo show at 99.00 EUR."""
    await server.post_cue(
        SHOW,
        {
            "kind": "deal_start",
            "deal_id": deal_id,
            "product_id": product,
            "deal_price": {"amount": 9900, "currency": "EUR"},
            "units": units,
            "per_customer_limit": limit,
        },
    )


async def stock(redis: Redis, sku: str) -> dict[str, int]:
    """A SKU's counters."""
    raw = cast(dict[str, str], await redis.hgetall(keys.inventory(sku)))
    return {field: int(value) for field, value in raw.items()}


async def assert_invariant(redis: Redis, sku: str) -> dict[str, int]:
    """available + reserved + sold == initial + restocked, nothing negative."""
    counters = await stock(redis, sku)
    assert all(value >= 0 for value in counters.values()), counters
    assert (
        counters["available"] + counters["reserved"] + counters["sold"]
        == counters["initial"] + counters["restocked"]
    ), counters
    return counters


async def buy(client: httpx.AsyncClient, token: str, key: str, **body: Any) -> httpx.Response:
    """``POST /api/orders`` as a viewer."""
    return await client.post("/api/orders", json=body, headers=auth(token, key))


async def gateway_log(redis: Redis) -> list[dict[str, Any]]:
    """Every charge and refund the demo gateway made (its ledger, oldest first)."""
    return [json.loads(entry) for entry in await redis.lrange(keys.demo_gateway_log(), 0, -1)]


async def in_buckets(redis: Redis, set_key: Callable[[int], str]) -> dict[str, float]:
    """Every bucket's members of one order set (expiries, refunds due, charge attempts)."""
    members: dict[str, float] = {}
    for bucket in keys.order_buckets():
        scored = await redis.zrange(set_key(bucket), 0, -1, withscores=True)
        members.update(cast(list[tuple[str, float]], scored))
    return members


async def order_events(redis: Redis, order_id: str | None = None) -> list[dict[str, str]]:
    """Entries of the orders streams: ``order_id``'s (in order), or every bucket's."""
    buckets = [keys.order_bucket(order_id)] if order_id else keys.order_buckets()
    entries: list[dict[str, str]] = []
    for bucket in buckets:
        read = cast(
            list[tuple[str, dict[str, str]]], await redis.xrange(keys.orders_stream(bucket))
        )
        entries.extend(fields for _, fields in read)
    return [e for e in entries if order_id is None or e["order_id"] == order_id]


async def money_moves(redis: Redis) -> tuple[Counter[str], Counter[str]]:
    """Charges per idempotency key and refunds per payment id, from the gateway's ledger."""
    log = await gateway_log(redis)
    charges = Counter(entry["idempotency_key"] for entry in log if entry["kind"] == "charge")
    refunds = Counter(entry["payment_id"] for entry in log if entry["kind"] == "refund")
    return charges, refunds


async def wait_until_settled(redis: Redis) -> None:
    """Wait until no refund is due and no charge attempt is open (the payments worker is done)."""
    async with asyncio.timeout(TIMEOUT_S * 3):
        while True:
            if not await in_buckets(redis, keys.refunds_due):
                if not await in_buckets(redis, keys.charge_attempts):
                    return
            await asyncio.sleep(0.05)


async def assert_payments_consistent(redis: Redis) -> dict[str, int]:
    """Every order agrees with the gateway's ledger; returns the orders per outcome.

    Paid ⇔ charged once and not refunded; released (cancelled or expired) after a charge ⇔
    refunded exactly once with the order's refund id; no charge without an order; no refund
    twice. Call once the payments worker has settled (``wait_until_settled``).
    """
    log = await gateway_log(redis)
    charges, refunds = await money_moves(redis)
    payment_of = {e["idempotency_key"]: e["payment_id"] for e in log if e["kind"] == "charge"}
    refund_of = {e["payment_id"]: e["refund_id"] for e in log if e["kind"] == "refund"}
    assert all(count == 1 for count in charges.values()), charges
    assert all(count == 1 for count in refunds.values()), refunds
    outcomes: Counter[str] = Counter()
    seen: set[str] = set()
    async for key in redis.scan_iter(match=keys.order_pattern()):
        order = cast(dict[str, str], await redis.hgetall(key))
        charge = f"order:{order['id']}"
        seen.add(charge)
        payment = payment_of.get(charge)
        if order["status"] == "paid":
            assert payment is not None and order["payment_id"] == payment, (order, payment)
            assert payment not in refund_of, order
            outcomes["paid"] += 1
        elif payment is not None:
            assert order["status"] in ("cancelled", "expired"), order
            assert order.get("refund_status") == "refunded", order
            assert order["payment_id"] == payment and order["refund_id"] == refund_of[payment]
            outcomes[f"{order['status']}+refunded"] += 1
        else:
            assert not order.get("refund_status"), order
            outcomes[order["status"]] += 1
    assert set(payment_of) <= seen, set(payment_of) - seen
    return dict(outcomes)
