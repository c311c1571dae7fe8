"""Live stock reaches viewers as `stock` frames; favorites round trip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.redis import keys
from tests.commerce.helpers import PRODUCT, SHOW, SKU, auth, buy, session_tokens, start_deal
from tests.servers import LiveServer, receive_json, receive_until

MakeServer = Callable[..., Awaitable[LiveServer]]
BIKER = "sable-coast-leather-biker"  # SBC-BIKR-S and SBC-BIKR-M, 5 units each


async def test_stock_frames_and_sold_out(make_server: MakeServer, redis: Redis) -> None:
    """Buys push coalesced `stock` frames to the show; selling the last unit pushes sold_out."""
    server = await make_server()
    (token,) = await session_tokens(server, 1)
    # Stock frames go to the shows where the product is on screen.
    await server.post_cue(SHOW, {"kind": "pin", "product_id": BIKER})
    async with connect(server.ws_url(SHOW)) as ws, server.http() as client:
        await receive_until(ws, "snapshot")
        first = await buy(client, token, "s1", sku="SBC-BIKR-S", quantity=2)
        assert first.status_code == 201
        frame = await receive_until(ws, "stock")
        assert frame["data"]["product_id"] == BIKER
        assert frame["data"]["available"] == 8 and not frame["data"]["sold_out"]
        for index, sku in enumerate(["SBC-BIKR-S", "SBC-BIKR-M"]):
            quantity = 3 if sku == "SBC-BIKR-S" else 5
            response = await buy(client, token, f"s{index + 2}", sku=sku, quantity=quantity)
            assert response.status_code == 201, response.text
        seen = [frame["data"]["available"]]
        while not frame["data"]["sold_out"]:
            frame = await receive_json(ws)
            if frame["type"] == "stock":
                seen.append(frame["data"]["available"])
        assert seen == sorted(seen, reverse=True) and seen[-1] == 0
        assert {s["available"] for s in frame["data"]["stock"]} == {0}


async def test_favorites(make_server: MakeServer) -> None:
    """PUT adds once, GET lists oldest first, DELETE removes; each viewer has their own."""
    server = await make_server(push_stock=False)
    token, other = await session_tokens(server, 2)
    async with server.http() as client:
        await client.put("/api/favorites/lunaire-aviator", headers=auth(token))
        await client.put(f"/api/favorites/{BIKER}", headers=auth(token))
        again = await client.put("/api/favorites/lunaire-aviator", headers=auth(token))
        assert again.json() == {"product_ids": ["lunaire-aviator", BIKER]}
        assert (await client.get("/api/favorites", headers=auth(other))).json() == {
            "product_ids": []
        }
        removed = await client.delete("/api/favorites/lunaire-aviator", headers=auth(token))
        assert removed.json() == {"product_ids": [BIKER]}


async def test_deal_units_left_reach_viewers_and_snapshots(make_server: MakeServer) -> None:
    """A deal buy pushes the deal's units left with the stock; a new viewer's snapshot has them."""
    server = await make_server()
    token, other = await session_tokens(server, 2)
    await start_deal(server, "live-deal", units=5, limit=2)
    async with connect(server.ws_url(SHOW)) as ws, server.http() as client:
        snapshot = await receive_until(ws, "snapshot")
        assert [(d["deal_id"], d["units_left"]) for d in snapshot["data"]["deals"]] == [
            ("live-deal", 5)
        ]
        for key, buyer in (("d1", token), ("d2", other)):
            response = await buy(
                client, buyer, key, sku=SKU, quantity=2, show_id=SHOW, deal_id="live-deal"
            )
            assert response.status_code == 201, response.text
        frame = await receive_until(ws, "stock")
        while frame["data"]["deals"] != [{"deal_id": "live-deal", "units_left": 1}]:
            frame = await receive_until(ws, "stock")
        assert frame["data"]["product_id"] == PRODUCT
    async with connect(server.ws_url(SHOW)) as late:
        deals = (await receive_until(late, "snapshot"))["data"]["deals"]
    assert [(d["deal_id"], d["units_left"]) for d in deals] == [("live-deal", 1)]


# Sorts before the demo show: the pusher appends to the shows in id order, so by the time the
# demo show's frame is read, this show's would be in its stream.
OTHER_SHOW = """\
id: a-side-show
title: Side show
length: 60000
cues:
  - {id: hello, at: 1000, kind: announce, text: hello}
"""


async def test_stock_frames_go_only_to_shows_where_the_product_is_pinned(
    make_server: MakeServer, redis: Redis, tmp_path: Path
) -> None:
    """Of two shows, only the one with the product pinned gets its `stock` frame."""
    (tmp_path / "side.yaml").write_text(OTHER_SHOW)
    server = await make_server(shows_dir=str(tmp_path))
    (token,) = await session_tokens(server, 1)
    await server.post_cue(SHOW, {"kind": "pin", "product_id": BIKER})
    async with connect(server.ws_url(SHOW)) as ws, server.http() as client:
        await receive_until(ws, "snapshot")
        response = await buy(client, token, "p1", sku="SBC-BIKR-S", quantity=1)
        assert response.status_code == 201, response.text
        frame = await receive_until(ws, "stock")
        assert frame["data"]["product_id"] == BIKER
    entries = cast(
        list[tuple[str, dict[str, str]]], await redis.xrange(keys.show_events("a-side-show"))
    )
    assert [fields["type"] for _, fields in entries if fields["type"] == "stock"] == []
