"""A lottery drop end to end across two server processes on one Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from typer.testing import CliRunner
from websockets.asyncio.client import connect

from livebuy.cli import cli
from livebuy.games.draw import DrawProof, verify
from tests.chat.helpers import PRODUCER, SHOW, MakeServer, new_session
from tests.commerce.helpers import card
from tests.servers import TIMEOUT_S, receive_json, receive_until, start_together

CUE = {
    "kind": "deal_start",
    "deal_id": "e2e-drop",
    "product_id": "velmora-silk-twill-scarf",
    "deal_price": {"amount": 1000, "currency": "EUR"},
    "units": 2,
    "mode": "lottery",
    # The producer closes the entries (a window that ends on its own is a service test: on a
    # loaded machine any short window may end before the entries are in).
    "entry_window_ms": 120_000,
    "pay_hold_ms": 5000,
}
PATH = f"/api/shows/{SHOW}/deals/e2e-drop"


def _auth(viewer: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {viewer['token']}"}


async def test_lottery_drop_across_two_processes(make_server: MakeServer) -> None:
    """Entries on A and B are drawn once; A's watcher sees the cue and deal_drawn; winners hold
    reserved orders at the deal price, the waitlisted and the lost are told; one winner pays, the
    other's hold expires and the waitlisted entry is promoted (deal_promoted) with an order; the
    proof verifies (also by `livebuy verify-draw <url>`); a late joiner's snapshot has the result."""
    first, second = await start_together(
        make_server,
        2,
        process=True,
        drop_tick_ms=100,
        drop_entry_grace_ms=0,
        drop_waitlist_max=1,
        sweeper_interval_ms=200,
    )
    viewers = [await new_session(server) for server in (first, second, first, second)]
    async with connect(first.ws_url(SHOW)) as watcher:
        await receive_json(watcher)
        await first.post_cue(SHOW, CUE)
        opened = (await receive_until(watcher, "cue"))["data"]
        assert (opened["mode"], opened["units"]) == ("lottery", 2)
        seed_hash = opened["seed_hash"]
        async with first.http() as on_a, second.http() as on_b:
            for index, viewer in enumerate(viewers):
                client = on_a if index % 2 == 0 else on_b
                entered = await client.post(f"{PATH}/entries", headers=_auth(viewer))
                assert entered.status_code == 201, entered.text
            repeat = await on_b.post(f"{PATH}/entries", headers=_auth(viewers[0]))
            assert repeat.status_code == 200 and repeat.json()["status"] == "entered"
            early = await on_a.post(
                "/api/orders",
                json={"sku": "VLM-SCRF-SKY", "show_id": SHOW, "deal_id": "e2e-drop"},
                headers={**_auth(viewers[0]), "Idempotency-Key": "early"},
            )
            assert early.status_code == 409 and early.json()["error"]["code"] == "deal_in_lottery"
            closed = await on_b.post(f"{PATH}/draw", headers=PRODUCER)
            assert closed.status_code == 200, closed.text
            twice = await on_a.post(f"{PATH}/draw", headers=PRODUCER)
            assert twice.json()["error"]["code"] == "deal_not_active"
            async with asyncio.timeout(TIMEOUT_S * 2):
                drawn = (await receive_until(watcher, "deal_drawn"))["data"]
            assert (drawn["entries"], len(drawn["winners"]), drawn["waitlisted"]) == (4, 2, 1)
            assert drawn["seed_hash"] == seed_hash
            by_handle = {viewer["handle"]: viewer for viewer in viewers}
            payer, laggard = (by_handle[handle] for handle in drawn["winners"])
            # The payer first: the hold is short, so that the laggard's runs out soon.
            won = (await on_a.get(f"{PATH}/entries/me", headers=_auth(payer))).json()
            paid = await on_b.post(
                f"/api/orders/{won['order_id']}/pay", json=card(), headers=_auth(payer)
            )
            assert paid.status_code == 200, paid.text
            assert paid.json()["total"]["amount"] == 1000
            mine = {}
            for viewer in viewers:
                answer = await on_b.get(f"{PATH}/entries/me", headers=_auth(viewer))
                assert answer.status_code == 200, answer.text
                mine[viewer["handle"]] = answer.json()
            statuses = sorted(entry["status"] for entry in mine.values())
            assert statuses == ["lost", "waitlisted", "won", "won"]
            assert mine[payer["handle"]]["pay_by"] is None  # paid
            # The laggard never pays: the hold ends, the sweeper expires the order and the unit
            # goes to the waitlist.
            async with asyncio.timeout(TIMEOUT_S * 2):
                promoted = (await receive_until(watcher, "deal_promoted"))["data"]
            waiting = next(h for h, entry in mine.items() if entry["status"] == "waitlisted")
            assert promoted["handle"] == waiting and promoted["first_come"] is True
            now_won = await on_a.get(f"{PATH}/entries/me", headers=_auth(by_handle[waiting]))
            assert now_won.json()["status"] == "won" and now_won.json()["order_id"]
            expired = (await on_a.get(f"{PATH}/entries/me", headers=_auth(laggard))).json()
            assert (expired["status"], expired["reason"]) == ("lost", "expired")
            document = (await on_a.get(f"{PATH}/draw")).json()
    proof = DrawProof.model_validate(document["proof"])
    assert verify(proof, seed_hash) == []
    assert proof.winners[:2] == drawn["winners"] and proof.winners[2] == waiting
    outcome = await asyncio.to_thread(
        CliRunner().invoke, cli, ["verify-draw", f"{second.base_url}{PATH}/draw"]
    )
    assert outcome.exit_code == 0 and outcome.output.startswith("OK"), outcome.output
    async with connect(second.ws_url(SHOW)) as late:
        deals = (await receive_json(late))["data"]["deals"]
    (joined,) = [deal for deal in deals if deal["deal_id"] == "e2e-drop"]
    assert joined["mode"] == "lottery" and joined["seed_hash"] == seed_hash
    assert joined["lottery"]["phase"] == "first_come" and joined["lottery"]["winners"] == 2
