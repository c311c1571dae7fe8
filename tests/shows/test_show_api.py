"""Show HTTP endpoints and producer authentication, against a real server."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from tests.servers import PRODUCER_TOKEN, LiveServer

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]
PIN = {"cue": {"kind": "pin", "product_id": "lunaire-aviator"}}


async def test_list_and_get_show(make_server: MakeServer) -> None:
    """The demo show is listed and returned with its run sheet and current state."""
    server = await make_server()
    async with server.http() as client:
        shows = (await client.get("/api/shows")).json()
        detail = await client.get(f"/api/shows/{SHOW}")
        missing = await client.get("/api/shows/nope")
    assert [show["id"] for show in shows] == [SHOW]
    assert shows[0]["cue_count"] > 20 and shows[0]["length_ms"] == 600_000
    body = detail.json()
    assert body["show"]["cues"][0]["id"] == "reset"
    assert body["state"]["pinned"] == [] and body["latest_seq"] == 0
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_show"


async def test_producer_cue_needs_the_bearer_token(make_server: MakeServer) -> None:
    """No token: 401; wrong token: 403; right token: 201. Refused cues publish nothing."""
    server = await make_server()
    url = f"/api/shows/{SHOW}/cues"
    async with server.http() as client:
        none = await client.post(url, json=PIN)
        wrong = await client.post(url, json=PIN, headers={"Authorization": "Bearer nope"})
        basic = await client.post(url, json=PIN, headers={"Authorization": "Basic abc"})
        seq_before = (await client.get(f"/api/shows/{SHOW}")).json()["latest_seq"]
        right = await client.post(
            url, json=PIN, headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"}
        )
    assert none.status_code == 401 and none.json()["error"]["code"] == "unauthorized"
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
    assert basic.status_code == 401
    assert seq_before == 0
    assert right.status_code == 201 and right.json()["seq"] == 1


async def test_bad_cues_get_clear_errors(make_server: MakeServer) -> None:
    """Unknown product or show, unknown kind, wrong types and ending a deal not running: 4xx JSON."""
    server = await make_server()
    auth = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}
    url = f"/api/shows/{SHOW}/cues"
    async with server.http() as client:
        unknown_product = await client.post(
            url, json={"cue": {"kind": "pin", "product_id": "ghost"}}, headers=auth
        )
        unknown_kind = await client.post(url, json={"cue": {"kind": "dance"}}, headers=auth)
        wrong_type = await client.post(
            url,
            json={
                "cue": {
                    "kind": "countdown",
                    "countdown_id": "a",
                    "label": "x",
                    "duration_ms": "forever",
                }
            },
            headers=auth,
        )
        no_deal = await client.post(
            url, json={"cue": {"kind": "deal_end", "deal_id": "nothing"}}, headers=auth
        )
        not_json = await client.post(
            url, content=b"{", headers={**auth, "content-type": "application/json"}
        )
        unknown_show = await client.post("/api/shows/nope/cues", json=PIN, headers=auth)
        seq = (await client.get(f"/api/shows/{SHOW}")).json()["latest_seq"]
    assert unknown_product.status_code == 422
    assert "ghost" in unknown_product.json()["error"]["message"]
    assert (
        unknown_kind.status_code == 422 and unknown_kind.json()["error"]["code"] == "invalid_input"
    )
    assert wrong_type.status_code == 422 and "duration_ms" in wrong_type.json()["error"]["message"]
    assert no_deal.status_code == 422 and "not running" in no_deal.json()["error"]["message"]
    assert not_json.status_code == 422
    assert unknown_show.status_code == 404
    assert seq == 0


async def test_retried_live_cue_is_published_once(make_server: MakeServer) -> None:
    """Posting the same cue id twice (a producer's retry) publishes one event."""
    server = await make_server()
    first = await server.post_cue(SHOW, {"kind": "announce", "text": "once"}, cue_id="hello")
    second = await server.post_cue(SHOW, {"kind": "announce", "text": "once"}, cue_id="hello")
    assert first["seq"] == second["seq"] == 1


async def test_health_and_metrics(make_server: MakeServer) -> None:
    """Liveness, readiness and the Prometheus exposition answer."""
    server = await make_server()
    async with server.http() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "pid": os.getpid()}
        assert (await client.get("/readyz")).json() == {"status": "ready"}
        metrics = await client.get("/metrics")
    assert "livebuy_viewers" in metrics.text


async def test_announce_clear_removes_the_announcement(make_server: MakeServer) -> None:
    """An `announce_clear` cue leaves the show without an announcement (state and snapshot)."""
    server = await make_server()
    await server.post_cue(SHOW, {"kind": "announce", "text": "doors open"})
    async with server.http() as client:
        before = (await client.get(f"/api/shows/{SHOW}")).json()["state"]["announcement"]
        cleared = await server.post_cue(SHOW, {"kind": "announce_clear"})
        after = (await client.get(f"/api/shows/{SHOW}")).json()
    assert before["text"] == "doors open"
    assert after["state"]["announcement"] is None
    assert after["latest_seq"] == cleared["seq"]
