"""Buy now, checkout, pay, cancel and expiry through the real HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from redis.asyncio import Redis

from tests.commerce.helpers import (
    CARD_DECLINE,
    CARD_TIMEOUT,
    SHOW,
    SKU,
    assert_invariant,
    auth,
    buy,
    card,
    order_events,
    session_tokens,
    start_deal,
)
from tests.servers import TIMEOUT_S, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


async def _wait_for_status(
    client: httpx.AsyncClient, token: str, order_id: str, status: str
) -> None:
    """Poll the order until it reaches ``status`` (the sweeper runs on its own clock)."""
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            order = (await client.get(f"/api/orders/{order_id}", headers=auth(token))).json()
            if order["status"] == status:
                return
            await asyncio.sleep(0.05)


async def test_buy_now_pay_and_cancel_with_refund(make_server: MakeServer, redis: Redis) -> None:
    """A one-tap buy reserves, paying sells, cancelling a paid order returns stock and refunds."""
    server = await make_server(push_stock=False)
    (token,) = await session_tokens(server, 1)
    before = await assert_invariant(redis, SKU)
    async with server.http() as client:
        created = await buy(client, token, "k1", sku=SKU, quantity=2)
        assert created.status_code == 201, created.text
        order = created.json()
        assert order["status"] == "pending_payment"
        assert order["total"] == {"amount": 2 * 12900, "currency": "EUR"}
        reserved = await assert_invariant(redis, SKU)
        assert reserved["available"] == before["available"] - 2 and reserved["reserved"] == 2
        paid = await client.post(f"/api/orders/{order['id']}/pay", json=card(), headers=auth(token))
        assert paid.status_code == 200, paid.text
        assert paid.json()["status"] == "paid" and paid.json()["payment_id"]
        sold = await assert_invariant(redis, SKU)
        assert sold["sold"] == 2 and sold["reserved"] == 0
        again = await client.post(
            f"/api/orders/{order['id']}/pay", json=card(), headers=auth(token)
        )
        assert again.status_code == 409
        cancelled = await client.post(f"/api/orders/{order['id']}/cancel", headers=auth(token))
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["refund_status"] == "refunded"
        assert await assert_invariant(redis, SKU) == {**before}
        listed = await client.get("/api/orders", headers=auth(token))
        assert [o["id"] for o in listed.json()["items"]] == [order["id"]]
    events = await order_events(redis, order["id"])
    assert [e["status"] for e in events] == ["pending_payment", "paid", "cancelled", "refunded"]


async def test_decline_keeps_the_reservation_until_it_expires(
    make_server: MakeServer, redis: Redis
) -> None:
    """Declined and timed-out payments keep the units reserved; the sweeper returns them."""
    server = await make_server(push_stock=False, reservation_hold_ms=1000, sweeper_interval_ms=50)
    (token,) = await session_tokens(server, 1)
    before = await assert_invariant(redis, SKU)
    async with server.http() as client:
        order = (await buy(client, token, "k1", sku=SKU)).json()
        declined = await client.post(
            f"/api/orders/{order['id']}/pay", json=card(CARD_DECLINE), headers=auth(token)
        )
        assert declined.status_code == 402
        assert declined.json()["error"]["reason"] == "card_declined"
        timeout = await client.post(
            f"/api/orders/{order['id']}/pay", json=card(CARD_TIMEOUT), headers=auth(token)
        )
        assert timeout.status_code == 504
        assert (await assert_invariant(redis, SKU))["reserved"] == 1
        await _wait_for_status(client, token, order["id"], "expired")
        late = await client.post(f"/api/orders/{order['id']}/pay", json=card(), headers=auth(token))
        assert late.status_code == 409
    assert await assert_invariant(redis, SKU) == before


async def test_checkout_from_cart_with_deal_price_and_coupon(
    make_server: MakeServer, redis: Redis
) -> None:
    """The cart shows the deal price; checkout applies deal and coupon and empties the cart."""
    server = await make_server(push_stock=False)
    (token,) = await session_tokens(server, 1)
    await start_deal(server, "cart-deal", units=5, limit=2)
    producer = {
        "Authorization": f"Bearer {server.settings.security.producer_token.get_secret_value()}"
    }
    async with server.http() as client:
        coupon = await client.put(
            "/api/coupons/TENOFF",
            json={
                "code": "TENOFF",
                "kind": "percent",
                "value": 10,
                "min_spend": 10000,
                "per_customer": 1,
            },
            headers=producer,
        )
        assert coupon.status_code == 204, coupon.text
        await client.put(f"/api/cart/items/{SKU}", json={"quantity": 2}, headers=auth(token))
        cart = await client.put(
            "/api/cart/items/VLM-SCRF-SKY", json={"quantity": 1}, headers=auth(token)
        )
        lines = {line["sku"]: line for line in cart.json()["items"]}
        assert lines[SKU]["unit_price"]["amount"] == 9900 and lines[SKU]["deal_id"] == "cart-deal"
        assert cart.json()["total"]["amount"] == 2 * 9900 + 8900
        created = await buy(
            client,
            token,
            "cart1",
            from_cart=True,
            show_id=SHOW,
            deal_id="cart-deal",
            coupon="TENOFF",
        )
        assert created.status_code == 201, created.text
        order = created.json()
        assert order["subtotal"]["amount"] == 2 * 9900 + 8900
        assert order["discount"]["amount"] == (2 * 9900 + 8900) // 10
        assert (await client.get("/api/cart", headers=auth(token))).json()["items"] == []
        await client.put("/api/cart/items/VLM-SCRF-SKY", json={"quantity": 2}, headers=auth(token))
        reused = await buy(client, token, "cart2", from_cart=True, coupon="TENOFF")
        assert reused.status_code == 409
        assert reused.json()["error"]["code"] == "coupon_rejected"
        cancelled = await client.post(f"/api/orders/{order['id']}/cancel", headers=auth(token))
        assert cancelled.json()["status"] == "cancelled"
        # Cancelling gave the coupon use back.
        retried = await buy(client, token, "cart3", from_cart=True, coupon="TENOFF")
        assert retried.status_code == 201, retried.text


async def test_deal_window_and_limits(make_server: MakeServer, redis: Redis) -> None:
    """Deal price only while the deal runs; per-customer limit; a replayed key answers the first."""
    server = await make_server(push_stock=False)
    (token,) = await session_tokens(server, 1)
    async with server.http() as client:
        not_started = await buy(client, token, "d0", sku=SKU, show_id=SHOW, deal_id="flash")
        assert not_started.status_code == 409
        assert not_started.json()["error"]["code"] == "deal_not_active"
        assert not_started.json()["error"]["line"] == 0
        await start_deal(server, "flash", units=3, limit=1)
        first = await buy(client, token, "d1", sku=SKU, show_id=SHOW, deal_id="flash")
        assert first.status_code == 201 and first.json()["total"]["amount"] == 9900
        replay = await buy(client, token, "d1", sku=SKU, show_id=SHOW, deal_id="flash")
        assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
        conflict = await buy(client, token, "d1", sku=SKU, quantity=2)
        assert conflict.status_code == 409
        assert conflict.json()["error"]["code"] == "idempotency_conflict"
        second = await buy(client, token, "d2", sku=SKU, show_id=SHOW, deal_id="flash")
        assert second.status_code == 409 and second.json()["error"]["code"] == "limit_exceeded"
        await server.post_cue(SHOW, {"kind": "deal_end", "deal_id": "flash"})
        ended = await buy(client, token, "d3", sku=SKU, show_id=SHOW, deal_id="flash")
        assert ended.json()["error"]["code"] == "deal_not_active"
        regular = await buy(client, token, "d4", sku=SKU)
        assert regular.status_code == 201 and regular.json()["total"]["amount"] == 12900
    await assert_invariant(redis, SKU)
