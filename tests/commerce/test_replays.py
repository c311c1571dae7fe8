"""A retried order request (same Idempotency-Key, same body) answers the order it made, even once
what the request named has changed: the checkout emptied the cart, the deal ended."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from tests.commerce.helpers import SHOW, SKU, auth, buy, session_tokens, start_deal
from tests.servers import LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


async def test_replay_answers_the_order_after_the_cart_emptied_and_the_deal_ended(
    make_server: MakeServer, redis: Redis
) -> None:
    """A replayed cart checkout gets its order (not empty_cart), a replayed deal buy gets its
    order after the deal ended (not deal_not_active); a new key is refused as before."""
    server = await make_server(push_stock=False)
    (token,) = await session_tokens(server, 1)
    await start_deal(server, "replayed", units=3, limit=1)
    async with server.http() as client:
        await client.put(f"/api/cart/items/{SKU}", json={"quantity": 1}, headers=auth(token))
        checkout = await buy(client, token, "cart-1", from_cart=True)
        assert checkout.status_code == 201, checkout.text
        deal = await buy(client, token, "deal-1", sku=SKU, show_id=SHOW, deal_id="replayed")
        assert deal.status_code == 201, deal.text
        await server.post_cue(SHOW, {"kind": "deal_end", "deal_id": "replayed"})

        cart_again = await buy(client, token, "cart-1", from_cart=True)
        assert (cart_again.status_code, cart_again.json().get("id")) == (
            200,
            checkout.json()["id"],
        ), cart_again.text
        deal_again = await buy(client, token, "deal-1", sku=SKU, show_id=SHOW, deal_id="replayed")
        assert (deal_again.status_code, deal_again.json().get("id")) == (
            200,
            deal.json()["id"],
        ), deal_again.text

        # Only a key that made an order is answered so: a new one meets the state of now.
        empty = await buy(client, token, "cart-2", from_cart=True)
        assert empty.json()["error"]["code"] == "empty_cart", empty.text
        ended = await buy(client, token, "deal-2", sku=SKU, show_id=SHOW, deal_id="replayed")
        assert ended.json()["error"]["code"] == "deal_not_active", ended.text
        # The same key with another body is still a conflict, not a replay.
        other = await buy(client, token, "cart-1", sku=SKU)
        assert other.json()["error"]["code"] == "idempotency_conflict", other.text
