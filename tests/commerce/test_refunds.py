"""Refunds and charges survive failures: the outbox retries, reconciliation finds lost charges."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from redis.asyncio import Redis

from catalog.models import Money
from livebuy.clock import now_ms
from livebuy.commerce.models import PaymentRequest
from livebuy.commerce.payment import DemoGateway
from livebuy.redis import keys
from tests.commerce.helpers import (
    CARD_CHARGED_TIMEOUT,
    CARD_REFUND_FAILS,
    SKU,
    assert_invariant,
    assert_payments_consistent,
    auth,
    buy,
    card,
    money_moves,
    order_events,
    session_tokens,
    wait_until_settled,
)
from tests.servers import TIMEOUT_S, InProcessServer, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
FAST_OUTBOX: dict[str, Any] = {
    "push_stock": False,
    "payments_tick_ms": 20,
    "payments_lease_ms": 500,
    "refund_retry_base_ms": 50,
}


async def _order(client: httpx.AsyncClient, token: str, order_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/orders/{order_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def _wait_for(
    client: httpx.AsyncClient, token: str, order_id: str, **wanted: Any
) -> dict[str, Any]:
    """Poll the order until its fields have the wanted values (the worker has its own clock)."""
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            order = await _order(client, token, order_id)
            if all(order[name] == value for name, value in wanted.items()):
                return order
            await asyncio.sleep(0.02)


async def _paid_order(client: httpx.AsyncClient, token: str, number: str) -> str:
    created = await buy(client, token, f"key-{number}", sku=SKU, quantity=1)
    assert created.status_code == 201, created.text
    order_id: str = created.json()["id"]
    paid = await client.post(f"/api/orders/{order_id}/pay", json=card(number), headers=auth(token))
    assert paid.status_code == 200, paid.text
    return order_id


async def test_failed_refund_is_retried_until_it_succeeds_once(
    make_server: MakeServer, redis: Redis
) -> None:
    """A refund the gateway fails at cancel time is retried later and made exactly once."""
    server = await make_server(**FAST_OUTBOX)
    (token,) = await session_tokens(server, 1)
    before = await assert_invariant(redis, SKU)
    async with server.http() as client:
        order_id = await _paid_order(client, token, CARD_REFUND_FAILS)
        cancelled = await client.post(f"/api/orders/{order_id}/cancel", headers=auth(token))
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["refund_status"] == "pending"
        refunded = await _wait_for(client, token, order_id, refund_status="refunded")
        assert refunded["refund_id"]
        again = await client.post(f"/api/orders/{order_id}/cancel", headers=auth(token))
        assert again.status_code == 409, again.text
        assert again.json()["error"]["reason"] == "cancelled"
        assert "already cancelled" in again.json()["error"]["message"]
        assert again.json()["error"]["refund_status"] == "refunded"
    await wait_until_settled(redis)
    charges, refunds = await money_moves(redis)
    assert charges == {f"order:{order_id}": 1}
    assert list(refunds.values()) == [1]
    assert await assert_payments_consistent(redis) == {"cancelled+refunded": 1}
    assert await redis.hget(keys.order(order_id), "refund_attempts") == "3"
    events = [fields["status"] for fields in await order_events(redis, order_id)]
    assert events == ["pending_payment", "paid", "cancelled", "refunded"]
    assert await assert_invariant(redis, SKU) == before


async def test_refund_owed_by_a_crashed_cancel_is_made_by_another_process(
    make_server: MakeServer, redis: Redis
) -> None:
    """The process dies right after the cancel step; another process refunds the order once."""
    crashing = await make_server(process=True, fault_points=["cancel:after_release"], **FAST_OUTBOX)
    survivor = await make_server(process=True, **FAST_OUTBOX)
    (token,) = await session_tokens(survivor, 1)
    async with crashing.http() as client:
        order_id = await _paid_order(client, token, "4242424242424242")
        try:
            answer = await client.post(f"/api/orders/{order_id}/cancel", headers=auth(token))
        except httpx.TransportError:
            answer = None  # the process died mid-request, as it should
        assert answer is None, answer.text
    async with survivor.http() as client:
        order = await _wait_for(client, token, order_id, refund_status="refunded")
        assert order["status"] == "cancelled"
        again = await client.post(f"/api/orders/{order_id}/cancel", headers=auth(token))
        assert again.status_code == 409 and again.json()["error"]["reason"] == "cancelled"
    await wait_until_settled(redis)
    assert await assert_payments_consistent(redis) == {"cancelled+refunded": 1}


async def test_lost_charge_answer_is_reconciled_into_a_paid_order(
    make_server: MakeServer, redis: Redis
) -> None:
    """The gateway charged but answered nothing: reconciliation finds the charge and sells."""
    server = await make_server(payment_lock_ms=200, reconcile_grace_ms=0, **FAST_OUTBOX)
    (token,) = await session_tokens(server, 1)
    async with server.http() as client:
        created = await buy(client, token, "lost-answer", sku=SKU, quantity=1)
        order_id = created.json()["id"]
        paid = await client.post(
            f"/api/orders/{order_id}/pay", json=card(CARD_CHARGED_TIMEOUT), headers=auth(token)
        )
        assert paid.status_code == 504, paid.text
        order = await _wait_for(client, token, order_id, status="paid")
        assert order["payment_id"]
    await wait_until_settled(redis)
    assert await assert_payments_consistent(redis) == {"paid": 1}


async def test_charge_of_a_cancelled_order_is_refunded_by_reconciliation(
    make_server: MakeServer, redis: Redis
) -> None:
    """A charge found after its order was cancelled is refunded once, never sold."""
    server = await make_server(payment_lock_ms=200, reconcile_grace_ms=0, **FAST_OUTBOX)
    (token,) = await session_tokens(server, 1)
    before = await assert_invariant(redis, SKU)
    async with server.http() as client:
        created = await buy(client, token, "lost-then-cancel", sku=SKU, quantity=1)
        order_id = created.json()["id"]
        paid = await client.post(
            f"/api/orders/{order_id}/pay", json=card(CARD_CHARGED_TIMEOUT), headers=auth(token)
        )
        assert paid.status_code == 504, paid.text
        cancelled = await client.post(f"/api/orders/{order_id}/cancel", headers=auth(token))
        assert cancelled.status_code == 200, cancelled.text
        order = await _wait_for(client, token, order_id, refund_status="refunded")
        assert order["status"] == "cancelled"
    await wait_until_settled(redis)
    assert await assert_payments_consistent(redis) == {"cancelled+refunded": 1}
    assert await assert_invariant(redis, SKU) == before


async def test_demo_gateway_is_idempotent_per_key(redis: Redis) -> None:
    """The same key never charges or refunds twice; a second refund under another key is refused."""
    gateway = DemoGateway(redis)
    amount = Money(amount=1000, currency="EUR")
    visa = PaymentRequest(
        card_number="4242424242424242", expiry_month=1, expiry_year=2030, cvc="123"
    )
    assert await gateway.lookup("order:x") is None
    first, second = await asyncio.gather(
        gateway.charge(amount, visa, "order:x"), gateway.charge(amount, visa, "order:x")
    )
    assert first == second and first.outcome == "approved"
    assert await gateway.lookup("order:x") == first.payment_id
    declined = PaymentRequest(
        card_number="4000000000000002", expiry_month=1, expiry_year=2030, cvc="123"
    )
    assert await gateway.charge(amount, declined, "order:x") == first  # the first result
    refund_a, refund_b = await asyncio.gather(
        gateway.refund(first.payment_id, amount, "refund:x"),
        gateway.refund(first.payment_id, amount, "refund:x"),
    )
    assert refund_a == refund_b and refund_a.outcome == "refunded"
    other = await gateway.refund(first.payment_id, amount, "refund:other")
    assert (other.outcome, other.reason) == ("failed", "already_refunded")
    charges, refunds = await money_moves(redis)
    assert charges == {"order:x": 1} and refunds == {first.payment_id: 1}


async def test_refund_left_pending_by_a_crash_is_made_later(
    make_server: MakeServer, redis: Redis
) -> None:
    """Issue 10 item 3: the cancel step ran and the process died; the refund still happens once."""
    server = await make_server(**FAST_OUTBOX)
    assert isinstance(server, InProcessServer)
    (token,) = await session_tokens(server, 1)
    async with server.http() as client:
        order_id = await _paid_order(client, token, "4242424242424242")
        # Exactly what a process killed right after the cancel's Lua step leaves behind.
        orders = server.app.state.services.commerce.orders
        fields = await redis.hgetall(keys.order(order_id))
        await orders._run_release(fields, "cancel", now_ms())
        assert (await _order(client, token, order_id))["refund_status"] == "pending"
        await _wait_for(client, token, order_id, refund_status="refunded")
        again = await client.post(f"/api/orders/{order_id}/cancel", headers=auth(token))
        assert again.status_code == 409 and again.json()["error"]["reason"] == "cancelled"
    await wait_until_settled(redis)
    assert await assert_payments_consistent(redis) == {"cancelled+refunded": 1}
