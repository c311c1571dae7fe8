"""Sales per product of a show: counted when paid, taken back on cancel, never twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from redis.asyncio import Redis

from tests.analytics.helpers import PRODUCER, SHOW, analytics, sales_of
from tests.commerce.helpers import PRODUCT, SKU, buy, card, session_tokens, start_deal
from tests.servers import LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


async def paid(client: httpx.AsyncClient, token: str, key: str, **body: Any) -> dict[str, Any]:
    """Buy now and pay; the paid order."""
    created = await buy(client, token, key, **body)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    response = await client.post(
        f"/api/orders/{order_id}/pay", json=card(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    assert order["status"] == "paid"
    return order


async def test_buy_now_from_the_show_counts_and_cancel_takes_it_back(
    make_server: MakeServer,
) -> None:
    """Paid buys from the show add units, orders and revenue; a cancel removes its order."""
    server = await make_server()
    (token,) = await session_tokens(server, 1)
    viewer = {"Authorization": f"Bearer {token}"}
    async with server.http() as client:
        one = await paid(client, token, "a1", sku=SKU, show_id=SHOW)
        two = await paid(client, token, "a2", sku=SKU, quantity=2, show_id=SHOW)
        # Neither an unpaid order nor one bought outside the show counts.
        assert (await buy(client, token, "a3", sku=SKU, show_id=SHOW)).status_code == 201
        await paid(client, token, "a4", sku=SKU)
        answer = await analytics(server)
        row = sales_of(answer, PRODUCT)
        assert row is not None
        revenue = one["total"]["amount"] + two["total"]["amount"]
        assert (row["units"], row["orders"], row["revenue"]["amount"]) == (3, 2, revenue)
        assert row["revenue"]["currency"] == one["total"]["currency"]
        assert row["name"] and row["name"] != PRODUCT
        assert answer["totals"] == {"units": 3, "orders": 2, "revenue": [row["revenue"]]}

        cancelled = await client.post(f"/api/orders/{two['id']}/cancel", headers=viewer)
        assert cancelled.json()["status"] == "cancelled"
        # Cancelling again is refused and takes nothing more out.
        assert (
            await client.post(f"/api/orders/{two['id']}/cancel", headers=viewer)
        ).status_code == 409
        row = sales_of(await analytics(server), PRODUCT)
        assert row is not None
        assert (row["units"], row["orders"], row["revenue"]["amount"]) == (
            1,
            1,
            one["total"]["amount"],
        )
        await client.post(f"/api/orders/{one['id']}/cancel", headers=viewer)
        answer = await analytics(server)
    assert answer["sales"] == []
    assert answer["totals"] == {"units": 0, "orders": 0, "revenue": []}


async def test_a_deal_purchase_is_counted_once_at_the_deal_price(
    make_server: MakeServer, redis: Redis
) -> None:
    """A replayed deal buy and a second pay attempt count nothing more; units left drop by one."""
    server = await make_server()
    await start_deal(server, "flash", units=5, limit=2)
    (token,) = await session_tokens(server, 1)
    async with server.http() as client:
        order = await paid(client, token, "d1", sku=SKU, show_id=SHOW, deal_id="flash")
        replay = await buy(client, token, "d1", sku=SKU, show_id=SHOW, deal_id="flash")
        assert replay.json()["id"] == order["id"]
        again = await client.post(
            f"/api/orders/{order['id']}/pay",
            json=card(),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert again.status_code == 409
    answer = await analytics(server)
    row = sales_of(answer, PRODUCT)
    assert row is not None
    assert (row["units"], row["orders"], row["revenue"]["amount"]) == (1, 1, 9900)
    (deal,) = answer["deals"]
    assert deal["deal_id"] == "flash" and deal["product_id"] == PRODUCT
    assert (deal["units"], deal["units_left"], deal["per_customer_limit"]) == (5, 4, 2)
    assert deal["live"] is True and deal["ends_at"] is None
    assert deal["deal_price"] == {"amount": 9900, "currency": "EUR"}


async def test_a_coupon_discount_is_shared_out_so_products_add_up_to_the_total(
    make_server: MakeServer,
) -> None:
    """A cart of two products with a 10% coupon: the products' revenue sums to what was paid."""
    server = await make_server()
    (token,) = await session_tokens(server, 1)
    viewer = {"Authorization": f"Bearer {token}"}
    async with server.http() as client:
        coupon = {"code": "TENOFF", "kind": "percent", "value": 10}
        assert (
            await client.put("/api/coupons/TENOFF", json=coupon, headers=PRODUCER)
        ).status_code == 204
        products = (await client.get("/api/catalog/products")).json()["items"][:2]
        skus = []
        for product in products:
            detail = (await client.get(f"/api/catalog/products/{product['id']}")).json()
            skus.append(detail["variants"][0]["sku"])
        for sku in skus:
            put = await client.put(f"/api/cart/items/{sku}", json={"quantity": 1}, headers=viewer)
            assert put.status_code == 200, put.text
        order = await paid(client, token, "c1", from_cart=True, show_id=SHOW, coupon="TENOFF")
    assert order["discount"]["amount"] > 0
    answer = await analytics(server)
    assert {row["product_id"] for row in answer["sales"]} == {p["id"] for p in products}
    assert sum(row["revenue"]["amount"] for row in answer["sales"]) == order["total"]["amount"]
    assert answer["totals"]["orders"] == 1


async def test_bad_requests_get_json_errors_and_change_nothing(make_server: MakeServer) -> None:
    """No token 401, wrong token 403, unknown show 404; an order naming an unknown show: 404."""
    server = await make_server()
    (token,) = await session_tokens(server, 1)
    async with server.http() as client:
        url = f"/api/shows/{SHOW}/analytics"
        cases = [
            (await client.get(url), 401, "unauthorized"),
            (await client.get(url, headers={"Authorization": "Bearer nope"}), 403, "forbidden"),
            (await client.get("/api/shows/nope/analytics", headers=PRODUCER), 404, "unknown_show"),
            (await buy(client, token, "x1", sku=SKU, show_id="nope"), 404, "unknown_show"),
            (await buy(client, token, "x2", sku=SKU, deal_id="flash"), 422, "invalid_input"),
        ]
        for response, status, code in cases:
            assert response.status_code == status, response.text
            assert response.json()["error"]["code"] == code
        orders = await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
    assert orders.json()["items"] == []
    answer = await analytics(server)
    assert answer["sales"] == [] and answer["viewers"] == 0
