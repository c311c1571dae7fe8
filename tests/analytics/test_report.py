"""The post-show report from a scripted show with known actions, on a real server and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from typer.testing import CliRunner
from websockets.asyncio.client import connect

from livebuy.analytics.report_html import render
from livebuy.analytics.report_models import ShowReport
from livebuy.cli import cli
from livebuy.redis import keys
from livebuy.redis.embedded import EmbeddedRedis
from tests.analytics.helpers import PRODUCER, SHOW
from tests.analytics.test_sales import paid
from tests.chat.helpers import next_reply, send
from tests.commerce.helpers import PRODUCT, SKU, auth, buy, session_tokens, start_deal
from tests.servers import TIMEOUT_S, LiveServer, receive_json

MakeServer = Callable[..., Awaitable[LiveServer]]


async def report(client: httpx.AsyncClient, show_id: str = SHOW) -> dict[str, Any]:
    """``GET /api/shows/{show_id}/report`` as the producer."""
    response = await client.get(f"/api/shows/{show_id}/report", headers=PRODUCER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def report_until(
    client: httpx.AsyncClient, holds: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Ask again until ``holds(report)``; fails after the suite's timeout with the last answer."""
    last: dict[str, Any] = {}
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                last = await report(client)
                if holds(last):
                    return last
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"report never matched; last answer: {last}") from None


def steps(body: dict[str, Any]) -> dict[str, int]:
    """The funnel's sessions per step."""
    return {row["step"]: row["sessions"] for row in body["funnel"]}


def cue(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The report's row of one cue."""
    return next(row for row in body["cues"] if row["key"] == key)


async def test_scripted_show_gives_exact_funnel_and_report(
    make_server: MakeServer, redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """4 viewers, 2 cards seen, 2 sheets, 2 bags, 4 orders of 3 viewers, 3 paid, 1 expired."""
    server = await make_server(
        reservation_hold_ms=2000, sweeper_interval_ms=50, viewer_report_interval_ms=50
    )
    tokens = await session_tokens(server, 4)
    one, two, three, four = tokens
    async with server.http() as client, contextlib.AsyncExitStack() as stack:
        empty = await report(client)
        assert steps(empty)["viewers"] == 0 and empty["cues"] == []
        sockets = [
            await stack.enter_async_context(connect(server.ws_url(SHOW, token=token)))
            for token in tokens
        ]
        for ws in sockets:
            await receive_json(ws)
        pin = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
        # Viewers 1 and 2 see the card (1 twice: counted once).
        for ws in (sockets[0], sockets[0], sockets[1]):
            await send(ws, "card_seen", cue_id=pin["cue_id"])
        for ws in sockets:
            await send(ws, "ping")
            assert (await next_reply(ws))["type"] == "pong"
        for token in (one, one, two):
            sheet = await client.post(
                f"/api/shows/{SHOW}/funnel/sheets",
                json={"product_id": PRODUCT},
                headers=auth(token),
            )
            assert sheet.status_code == 204, sheet.text
        for token in (one, four):
            line = {"quantity": 1, "show_id": SHOW}
            added = await client.put(f"/api/cart/items/{SKU}", json=line, headers=auth(token))
            assert added.status_code == 200, added.text
        first = await paid(client, one, "o1", sku=SKU, show_id=SHOW)
        second = await paid(client, two, "o2", sku=SKU, quantity=2, show_id=SHOW)
        await start_deal(server, "flash", units=5)
        # Viewer 3 checks out at the deal price and never pays: the order expires.
        left = await buy(client, three, "o3", sku=SKU, show_id=SHOW, deal_id="flash")
        assert left.status_code == 201, left.text
        # Viewer 2 buys again, at the deal price, and pays.
        third = await paid(client, two, "o4", sku=SKU, show_id=SHOW, deal_id="flash")
        assert third["total"]["amount"] == 9900
        revenue = first["total"]["amount"] + second["total"]["amount"]
        body = await report_until(
            client,
            lambda body: (
                body["abandonment"]["abandoned_orders"] == 1
                and body["sales"]["orders"] == 3
                and cue(body, "deal:flash")["paid_orders"] == 1
                and body["viewers"]["peak"] == 4
                and cue(body, pin["cue_id"])["viewers_at_cue"] == 4
            ),
        )
    assert steps(body) == {
        "viewers": 4,
        "shown": 2,
        "opened": 2,
        "bagged": 2,
        "checkout": 3,
        "paid": 2,
    }
    assert body["viewers"]["unique"] == 4
    assert body["abandonment"] == {
        "carts": 4,
        "paid": 2,
        "abandoned_carts": 2,
        "rate": 0.5,
        "abandoned_orders": 1,
        "bags_without_order": 1,
    }
    total = revenue + 9900
    assert body["sales"]["orders"] == 3 and body["sales"]["units"] == 4
    assert body["sales"]["revenue"] == [{"amount": total, "currency": "EUR"}]
    assert body["sales"]["average_order_value"] == [{"amount": round(total / 3), "currency": "EUR"}]
    pinned = cue(body, pin["cue_id"])
    figures = ("shown", "opened", "bagged", "checkout", "paid", "paid_orders", "units")
    assert {name: pinned[name] for name in figures} == {
        "shown": 2,
        "opened": 2,
        "bagged": 2,
        "checkout": 2,
        "paid": 2,
        "paid_orders": 2,
        "units": 3,
    }
    assert pinned["revenue"] == [{"amount": revenue, "currency": "EUR"}]
    assert pinned["conversion"] == 0.5
    deal = cue(body, "deal:flash")
    assert (deal["checkout"], deal["paid"], deal["paid_orders"]) == (2, 1, 1)
    assert (deal["abandoned_orders"], deal["revenue"]) == (1, [{"amount": 9900, "currency": "EUR"}])
    (flash,) = body["deals"]
    assert (flash["deal_id"], flash["runs"], flash["orders"], flash["units_sold"]) == (
        "flash",
        1,
        1,
        1,
    )
    assert flash["revenue"] == [{"amount": 9900, "currency": "EUR"}]
    (product,) = body["products"]
    assert (product["cards_shown"], product["added_to_bag"], product["units"]) == (2, 2, 4)

    # The same figures, drawn: every number above appears, and every chart is valid XML.
    page = render(ShowReport.model_validate(body))
    for svg in page.split("<svg")[1:]:
        ElementTree.fromstring("<svg" + svg.split("</svg>")[0] + "</svg>")
    assert "50.0 %" in page and f"EUR {total / 100:,.2f}" in page

    # `livebuy report` reads Redis directly (the server may be gone) and agrees. Run in a thread:
    # the command runs its own event loop, as it does from a shell.
    out = tmp_path / "report.json"
    arguments = ["report", SHOW, "--json", "--out", str(out), "--redis-url", redis_server.url]
    done = await asyncio.to_thread(CliRunner().invoke, cli, arguments)
    assert done.exit_code == 0, done.output
    offline = json.loads(out.read_text())
    # The stream's last moment moves on while the show plays (as in the re-read test below).
    assert {**offline, "generated_at": 0, "last_at": 0} == {**body, "generated_at": 0, "last_at": 0}


async def test_orders_count_once_when_reread_and_a_refund_takes_its_sale_back(
    make_server: MakeServer, redis: Redis
) -> None:
    """Re-reading the orders stream from the start changes nothing; a cancel after paying
    takes the order's units and revenue out of its cue (its paid session stays)."""
    server = await make_server()
    (token,) = await session_tokens(server, 1)
    pin = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    async with server.http() as client:
        first = await paid(client, token, "r1", sku=SKU, show_id=SHOW)
        await paid(client, token, "r2", sku=SKU, quantity=2, show_id=SHOW)
        body = await report_until(client, lambda body: cue(body, pin["cue_id"])["units"] == 3)
        # As after a crash before the cursor was saved: the loop reads every entry again.
        await redis.delete(keys.funnel_orders_cursor())
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                if await redis.exists(keys.funnel_orders_cursor()):
                    break
                await asyncio.sleep(0.02)
        again = await report(client)
        # The show's stream goes on meanwhile (stock and sales-velocity frames after the sales):
        # its last moment may move, every count must not.
        moving = {"generated_at": 0, "last_at": 0}
        assert {**again, **moving} == {**body, **moving}
        cancelled = await client.post(f"/api/orders/{first['id']}/cancel", headers=auth(token))
        assert cancelled.json()["status"] == "cancelled", cancelled.text
        after = await report_until(client, lambda body: cue(body, pin["cue_id"])["units"] == 2)
    row = cue(after, pin["cue_id"])
    revenue = cue(body, pin["cue_id"])["revenue"][0]["amount"] - first["total"]["amount"]
    assert (row["paid"], row["paid_orders"], row["checkout"]) == (1, 1, 1)
    assert row["revenue"] == [{"amount": revenue, "currency": "EUR"}]
    assert after["sales"]["orders"] == 1 and after["abandonment"]["abandoned_orders"] == 0


async def test_report_and_sheet_beacon_refuse_bad_requests(make_server: MakeServer) -> None:
    """Report: 401 / 403 / 404 unknown show; beacon: 401 without session, 404 unknown product."""
    server = await make_server()
    (token,) = await session_tokens(server, 1)
    url = f"/api/shows/{SHOW}/report"
    sheets = f"/api/shows/{SHOW}/funnel/sheets"
    async with server.http() as client:
        cases = [
            (await client.get(url), 401, "unauthorized"),
            (await client.get(url, headers={"Authorization": "Bearer nope"}), 403, "forbidden"),
            (await client.get("/api/shows/nope/report", headers=PRODUCER), 404, "unknown_show"),
            (await client.post(sheets, json={"product_id": PRODUCT}), 401, "unauthorized"),
            (
                await client.post(sheets, json={"product_id": "nope"}, headers=auth(token)),
                404,
                "unknown_product",
            ),
            (
                await client.post(
                    "/api/shows/nope/funnel/sheets",
                    json={"product_id": PRODUCT},
                    headers=auth(token),
                ),
                404,
                "unknown_show",
            ),
            (await client.post(sheets, json={}, headers=auth(token)), 422, "invalid_input"),
        ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code, response.text
