"""Bad input on every commerce endpoint: a clear 4xx JSON error, and nothing changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from livebuy.redis import keys
from tests.commerce.helpers import SHOW, SKU, auth, buy, card, session_tokens, start_deal
from tests.servers import PRODUCER_TOKEN, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
HUGE = "x" * 2_000_000


async def _snapshot(redis: Redis) -> dict[str, Any]:
    """Everything commerce could have changed (sessions, shows and rate-limit counters aside, the
    funnel loop's read position, which moves over the orders stream on its own, and the stock
    push's marks: a refused order may have reserved and given back units, so its products'
    unchanged stock is pushed once more)."""
    state: dict[str, Any] = {}
    skipped = (
        keys.session(""),
        "lb:{show:",
        keys.rate_limit("orders", ""),
        keys.funnel_orders_cursor(),
        keys.funnel_orders_lease(),
    )
    async for key in redis.scan_iter(match="lb:*"):
        if key.startswith(skipped) or key.endswith(":stock:dirty"):
            continue
        kind = await redis.type(key)
        if kind == "hash":
            state[key] = await redis.hgetall(key)
        elif kind == "string":
            state[key] = await redis.get(key)
        else:
            state[key] = kind
    return state


async def test_bad_input_is_refused_and_changes_nothing(
    make_server: MakeServer, redis: Redis
) -> None:
    """Missing key, unknown SKU, bad quantities, ended deal, wrong types, huge bodies: 4xx JSON."""
    server = await make_server(push_stock=False)
    token, other = await session_tokens(server, 2)
    await start_deal(server, "gone", units=5)
    await server.post_cue(SHOW, {"kind": "deal_end", "deal_id": "gone"})
    producer = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}
    async with server.http() as client:
        order = (await buy(client, other, "theirs", sku=SKU)).json()
        before = await _snapshot(redis)
        h = auth(token)
        cases: list[tuple[str, str, dict[str, Any], Any, int, str]] = [
            ("GET", "/api/cart", {}, None, 401, "unauthorized"),
            (
                "GET",
                "/api/orders",
                {"Authorization": "Bearer nope.nope"},
                None,
                401,
                "unauthorized",
            ),
            ("POST", "/api/orders", h, {"sku": SKU}, 400, "idempotency_key_required"),
            ("POST", "/api/orders", auth(token, "k" * 300), {"sku": SKU}, 422, "invalid_input"),
            ("POST", "/api/orders", auth(token, "a"), {"sku": "NOPE-1"}, 404, "unknown_sku"),
            (
                "POST",
                "/api/orders",
                auth(token, "b"),
                {"sku": SKU, "quantity": -1},
                422,
                "invalid_input",
            ),
            (
                "POST",
                "/api/orders",
                auth(token, "c"),
                {"sku": SKU, "quantity": 0},
                422,
                "invalid_input",
            ),
            (
                "POST",
                "/api/orders",
                auth(token, "d"),
                {"sku": SKU, "quantity": 11},
                422,
                "invalid_input",
            ),
            (
                "POST",
                "/api/orders",
                auth(token, "e"),
                {"sku": SKU, "quantity": "two"},
                422,
                "invalid_input",
            ),
            ("POST", "/api/orders", auth(token, "f"), {"sku": 5}, 422, "invalid_input"),
            ("POST", "/api/orders", auth(token, "g"), {}, 422, "invalid_input"),
            (
                "POST",
                "/api/orders",
                auth(token, "h"),
                {"sku": SKU, "from_cart": True},
                422,
                "invalid_input",
            ),
            ("POST", "/api/orders", auth(token, "i"), {"from_cart": True}, 409, "empty_cart"),
            (
                "POST",
                "/api/orders",
                auth(token, "j"),
                {"sku": SKU, "deal_id": "gone"},
                422,
                "invalid_input",
            ),
            (
                "POST",
                "/api/orders",
                auth(token, "k"),
                {"sku": SKU, "show_id": SHOW, "deal_id": "gone"},
                409,
                "deal_not_active",
            ),
            (
                "POST",
                "/api/orders",
                auth(token, "l"),
                {"sku": SKU, "coupon": "NOSUCH"},
                409,
                "coupon_rejected",
            ),
            (
                "POST",
                "/api/orders",
                auth(token, "m"),
                {"sku": SKU, "extra": 1},
                422,
                "invalid_input",
            ),
            ("POST", "/api/orders", auth(token, "n"), {"sku": HUGE}, 413, "payload_too_large"),
            ("GET", "/api/orders/nope", h, None, 404, "unknown_order"),
            ("GET", f"/api/orders/{order['id']}", h, None, 404, "unknown_order"),
            ("POST", f"/api/orders/{order['id']}/pay", h, card(), 404, "unknown_order"),
            ("POST", f"/api/orders/{order['id']}/cancel", h, None, 404, "unknown_order"),
            (
                "POST",
                f"/api/orders/{order['id']}/pay",
                auth(other),
                {"card_number": "42"},
                422,
                "invalid_input",
            ),
            (
                "POST",
                f"/api/orders/{order['id']}/pay",
                auth(other),
                {**card(), "cvc": 123},
                422,
                "invalid_input",
            ),
            ("PUT", f"/api/cart/items/{SKU}", h, {"quantity": 0}, 422, "invalid_input"),
            ("PUT", f"/api/cart/items/{SKU}", h, {"quantity": -3}, 422, "invalid_input"),
            ("PUT", f"/api/cart/items/{SKU}", h, {"quantity": 11}, 422, "invalid_input"),
            ("PUT", f"/api/cart/items/{SKU}", h, {"quantity": "many"}, 422, "invalid_input"),
            (
                "PUT",
                f"/api/cart/items/{SKU}",
                h,
                {"quantity": 1, "pad": HUGE},
                413,
                "payload_too_large",
            ),
            ("PUT", "/api/cart/items/NOPE-1", h, {"quantity": 1}, 404, "unknown_sku"),
            ("PUT", "/api/favorites/ghost", h, None, 404, "unknown_product"),
            (
                "PUT",
                "/api/coupons/SAVE",
                {},
                {"code": "SAVE", "kind": "percent", "value": 5},
                401,
                "unauthorized",
            ),
            (
                "PUT",
                "/api/coupons/SAVE",
                producer,
                {"code": "SAVE", "kind": "percent", "value": 500},
                422,
                "invalid_input",
            ),
            (
                "PUT",
                "/api/coupons/SAVE",
                producer,
                {"code": "OTHER", "kind": "percent", "value": 5},
                422,
                "invalid_input",
            ),
            (
                "PUT",
                "/api/coupons/SAVE",
                producer,
                {"code": "SAVE", "kind": "amount", "value": 5},
                422,
                "invalid_input",
            ),
            ("POST", f"/api/inventory/{SKU}/restock", {}, {"units": 5}, 401, "unauthorized"),
            ("POST", f"/api/inventory/{SKU}/restock", producer, {"units": 0}, 422, "invalid_input"),
            ("POST", "/api/inventory/NOPE-1/restock", producer, {"units": 1}, 404, "unknown_sku"),
        ]
        for method, url, headers, body, status, code in cases:
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == status, (method, url, body, response.text[:300])
            error = response.json()["error"]
            assert error["code"] == code and error["message"], (url, error)
        not_json = await client.post(
            "/api/orders",
            content=b"{",
            headers={**auth(token, "z"), "content-type": "application/json"},
        )
        assert not_json.status_code == 422
        assert (await client.get("/api/orders", headers=h)).json() == {"items": []}
    assert await _snapshot(redis) == before
