"""A giveaway end to end across two server processes on one Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from typer.testing import CliRunner
from websockets.asyncio.client import ClientConnection, connect

from livebuy.cli import cli
from livebuy.games.draw import DrawProof, verify
from tests.chat.helpers import PRODUCER, SHOW, MakeServer, new_session
from tests.servers import TIMEOUT_S, receive_json, receive_until

CUE = {
    "kind": "giveaway",
    "giveaway_id": "e2e",
    "title": "Two coupons",
    "prize": {"kind": "coupon", "coupon_kind": "amount", "value": 500, "currency": "EUR"},
    "winners": 2,
    "duration_ms": 600_000,
}


async def _frames_until(ws: ClientConnection, frame_type: str) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(TIMEOUT_S * 2):
        while not frames or frames[-1]["type"] != frame_type:
            frames.append(await receive_json(ws))
    return frames


async def test_giveaway_across_two_processes(make_server: MakeServer) -> None:
    """Entries on B are counted and drawn when the producer closes it; A's viewers see the cue,
    counts and a result
    whose published proof verifies (also by `livebuy verify-draw <url>`); winners get a coupon;
    the coupon is listed in the winner's GET /api/wallet; a late joiner's snapshot has the result."""
    first = await make_server(process=True, giveaway_tick_ms=100)
    second = await make_server(process=True, giveaway_tick_ms=100)
    viewers = [await new_session(second) for _ in range(5)]
    sockets = [await connect(second.ws_url(SHOW, token=viewer["token"])) for viewer in viewers]
    try:
        for ws in sockets:
            await receive_json(ws)
        async with connect(first.ws_url(SHOW)) as watcher:
            snapshot = await receive_json(watcher)
            assert snapshot["data"]["giveaways"] == []
            await first.post_cue(SHOW, CUE)
            opened = await receive_until(watcher, "cue")
            assert opened["data"]["kind"] == "giveaway"
            commitment = opened["data"]["commitment"]
            async with second.http() as client:
                path = f"/api/shows/{SHOW}/giveaways/e2e"
                for viewer in viewers:
                    auth = {"Authorization": f"Bearer {viewer['token']}"}
                    response = await client.post(f"{path}/entries", headers=auth)
                    assert response.status_code == 201, response.text
                again = await client.post(f"{path}/entries", headers=auth)
                assert again.status_code == 409
                assert again.json()["error"]["code"] == "already_entered"
                absent = await new_session(second)
                refused = await client.post(
                    f"{path}/entries", headers={"Authorization": f"Bearer {absent['token']}"}
                )
                assert refused.status_code == 403
                assert refused.json()["error"]["reason"] == "not_watching"
                # The producer closes early on B (a window that ends on its own is a service
                # test: on a loaded machine any short window may end before the entries).
                closed = await client.post(f"{path}/close", headers=PRODUCER)
                assert closed.status_code == 200, closed.text
                twice = await client.post(f"{path}/close", headers=PRODUCER)
                assert twice.json()["error"]["code"] == "giveaway_closed"
            frames = await _frames_until(watcher, "giveaway_result")
            counts = [f["data"]["entries"] for f in frames if f["type"] == "giveaway_entries"]
            assert counts == sorted(counts) and all(count <= 5 for count in counts)
            result = frames[-1]["data"]
            assert len(result["winners"]) == 2
            assert result["commitment"] == commitment
            assert result["entries"] == 5
    finally:
        for ws in sockets:
            await ws.close()
    async with first.http() as client:
        document = (await client.get(f"/api/shows/{SHOW}/giveaways/e2e")).json()
        winner = next(viewer for viewer in viewers if viewer["handle"] == result["winners"][0])
        auth = {"Authorization": f"Bearer {winner['token']}"}
        mine = (await client.get(f"/api/shows/{SHOW}/giveaways/e2e/me", headers=auth)).json()
        wallet = (await client.get("/api/wallet", headers=auth)).json()
    proof = DrawProof.model_validate(document["proof"])
    assert verify(proof, commitment) == []
    assert proof.winners == result["winners"]
    assert document["report"] == {"entered": 5, "distinct_winners": 2, "addresses": 1}
    assert mine["won"] is True
    assert mine["coupon_code"].startswith("WIN-")
    assert wallet["coupons"] == [mine["coupon_code"]]
    outcome = await asyncio.to_thread(
        CliRunner().invoke, cli, ["verify-draw", f"{first.base_url}/api/shows/{SHOW}/giveaways/e2e"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith("OK")
    async with connect(second.ws_url(SHOW)) as late:
        (joined,) = (await receive_json(late))["data"]["giveaways"]
    assert (joined["giveaway_id"], joined["status"]) == ("e2e", "closed")
    assert joined["winners"] == result["winners"]
    assert "proof" not in joined
