"""The console's funnel per product: cards shown (card_seen frames) → added to bag → bought."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import connect

from tests.analytics.helpers import PRODUCER, SHOW
from tests.analytics.test_sales import paid
from tests.chat.helpers import next_reply, send
from tests.commerce.helpers import PRODUCT, SKU, auth, session_tokens
from tests.servers import LiveServer, receive_json

MakeServer = Callable[..., Awaitable[LiveServer]]


async def funnel(server: LiveServer, show_id: str = SHOW) -> dict[str, Any]:
    """``GET /api/shows/{show_id}/funnel`` as the producer."""
    async with server.http() as client:
        response = await client.get(f"/api/shows/{show_id}/funnel", headers=PRODUCER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_cards_shown_bag_and_bought_count_each_viewer_once(make_server: MakeServer) -> None:
    """Two viewers, repeated card_seen and adds: each (viewer, cue) and session counts once."""
    server = await make_server()
    first_token, second_token = await session_tokens(server, 2)
    assert await funnel(server) == {"show_id": SHOW, "products": []}
    pin = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    again = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    async with (
        connect(server.ws_url(SHOW, token=first_token)) as signed_in,
        connect(server.ws_url(SHOW)) as anonymous,
    ):
        for ws in (signed_in, anonymous):
            await receive_json(ws)
        for ws in (signed_in, signed_in, anonymous):
            await send(ws, "card_seen", cue_id=pin["cue_id"])
        # The same product pinned by a second cue is a second card view.
        await send(signed_in, "card_seen", cue_id=again["cue_id"])
        await send(signed_in, "card_seen", cue_id="no-such-cue")
        refused = await next_reply(signed_in)
        assert refused["type"] == "error" and refused["data"]["code"] == "unknown_cue", refused
        await send(signed_in, "card_seen")
        malformed = await next_reply(signed_in)
        assert malformed["data"]["code"] == "malformed_frame", malformed
        # The pongs prove every earlier frame was handled (frames are handled in order).
        for ws in (signed_in, anonymous):
            await send(ws, "ping")
            assert (await next_reply(ws))["type"] == "pong"
    async with server.http() as client:
        for token in (first_token, first_token, second_token):
            body = {"quantity": 1, "show_id": SHOW}
            response = await client.put(f"/api/cart/items/{SKU}", json=body, headers=auth(token))
            assert response.status_code == 200, response.text
        # Without a show nothing is counted; an unknown show is refused before the cart changes.
        plain = await client.put(
            f"/api/cart/items/{SKU}", json={"quantity": 2}, headers=auth(second_token)
        )
        assert plain.status_code == 200
        unknown = await client.put(
            f"/api/cart/items/{SKU}",
            json={"quantity": 5, "show_id": "nope"},
            headers=auth(second_token),
        )
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_show"
        cart = (await client.get("/api/cart", headers=auth(second_token))).json()
        assert [line["quantity"] for line in cart["items"]] == [2]
        await paid(client, first_token, "f1", sku=SKU, quantity=2, show_id=SHOW)
    (row,) = (await funnel(server))["products"]
    assert row["product_id"] == PRODUCT and row["name"] != PRODUCT
    assert (row["cards_shown"], row["added_to_bag"]) == (3, 2)
    assert (row["bought_units"], row["bought_orders"]) == (2, 1)


async def test_funnel_refuses_bad_requests_with_json_errors(make_server: MakeServer) -> None:
    """No token 401, wrong token 403, unknown show 404."""
    server = await make_server()
    async with server.http() as client:
        url = f"/api/shows/{SHOW}/funnel"
        cases = [
            (await client.get(url), 401, "unauthorized"),
            (await client.get(url, headers={"Authorization": "Bearer nope"}), 403, "forbidden"),
            (await client.get("/api/shows/nope/funnel", headers=PRODUCER), 404, "unknown_show"),
        ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
