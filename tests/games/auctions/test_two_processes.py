"""Auctions across two gateway processes on one Redis: frames, snapshot, and a bid race."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx
import orjson
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.games.auctions.payment_methods import PaymentMethods
from livebuy.redis import keys
from livebuy.sessions.service import SessionService
from tests.games.auctions.helpers import SHOW, SKU, card
from tests.servers import KEEPALIVE_EXPIRY_S, TIMEOUT_S, LiveServer, receive_json, receive_until

MakeServer = Callable[..., Awaitable[LiveServer]]
BIDDERS = 40
EXTEND_RACE = 600
SUDDEN_MS = 3_000
# A bound only: clients stop at the close, after about SUDDEN_MS of bidding.
SUDDEN_MAX_BIDS = 20_000


def _cue(auction_id: str, duration_ms: int, mode: str, extend_ms: int = 1_000) -> dict[str, Any]:
    return {
        "kind": "auction",
        "auction_id": auction_id,
        "sku": SKU,
        "start_price": {"amount": 1_000, "currency": "EUR"},
        "ladder": [[0, 100], [10_000, 500]],
        "duration_ms": duration_ms,
        "mode": mode,
        "extend_ms": extend_ms,
    }


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _auction_events(redis: Redis, auction_id: str) -> list[tuple[int, dict[str, Any]]]:
    """The auction's frames in stream order: (at, data)."""
    entries = cast(list[tuple[str, dict[str, str]]], await redis.xrange(keys.show_events(SHOW)))
    found = []
    for _, fields in entries:
        data = orjson.loads(fields["data"])
        if fields["type"] == "auction" and data["auction_id"] == auction_id:
            found.append((int(fields["at"]), data))
    return found


async def _until_status(redis: Redis, auction_id: str, statuses: set[str]) -> dict[str, Any]:
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            raw = await redis.hget(keys.show_state(SHOW), f"auction:{auction_id}")
            if raw is not None and (state := orjson.loads(raw))["status"] in statuses:
                return cast(dict[str, Any], state)
            await asyncio.sleep(0.02)


async def _race(
    clients: list[httpx.AsyncClient],
    auction_id: str,
    bids: list[tuple[str, int]],
    *,
    until_closed: bool = False,
) -> list[tuple[str, int, int, dict[str, Any]]]:
    """Send every ``(token, amount)`` through one-connection clients (half on each process);
    ``until_closed`` stops each client at its first ``auction_closed`` answer."""
    results: list[tuple[str, int, int, dict[str, Any]]] = []
    todo = iter(bids)

    async def worker(client: httpx.AsyncClient) -> None:
        for token, amount in todo:
            response = await client.post(
                f"/api/shows/{SHOW}/auctions/{auction_id}/bids",
                json={"amount": amount},
                headers=_auth(token),
            )
            body = response.json()
            results.append((token, amount, response.status_code, body))
            if until_closed and body.get("error", {}).get("code") == "auction_closed":
                return

    await asyncio.gather(*(worker(client) for client in clients))
    return results


async def test_bids_on_either_process_reach_viewers_and_the_race_is_judged_by_one_clock(
    make_server: MakeServer, redis: Redis
) -> None:
    """Bids on B reach a viewer on A in bid order; in a 1,100-bid race the highest accepted bid
    wins, every extension is exactly ``extend_ms``, and nothing is accepted at or after close."""
    first = await make_server(process=True, auction_tick_ms=20)
    second = await make_server(process=True, auction_tick_ms=20)
    service = SessionService.from_settings(redis, first.settings)
    sessions = [await service.create(f"Bidder{i}") for i in range(BIDDERS)]
    methods = PaymentMethods(redis, 3600)
    for issued in sessions[1:]:
        await methods.save(issued.session_id, card())
    handle_of = {issued.token: issued.handle for issued in sessions}
    limits = httpx.Limits(max_connections=32)
    async with (
        httpx.AsyncClient(
            verify=False, base_url=first.base_url, timeout=TIMEOUT_S, limits=limits
        ) as on_a,
        httpx.AsyncClient(
            verify=False, base_url=second.base_url, timeout=TIMEOUT_S, limits=limits
        ) as on_b,
        connect(first.ws_url(SHOW)) as viewer_on_a,
    ):
        await receive_json(viewer_on_a)
        ann, bob = sessions[0], sessions[1]
        bid_url = f"/api/shows/{SHOW}/auctions/lot-e2e/bids"
        saved = await on_b.put(
            "/api/payment-method", json=card().model_dump(), headers=_auth(ann.token)
        )
        assert saved.json()["last4"] == "4242"
        await first.post_cue(SHOW, _cue("lot-e2e", 60_000, "extend", 10_000))
        opened = await receive_until(viewer_on_a, "cue")
        assert opened["data"]["kind"] == "auction" and opened["data"]["ends_at"] > 0

        leading = await on_b.post(bid_url, json={"amount": 1_000}, headers=_auth(ann.token))
        assert leading.json()["status"] == "leading"
        proxy = await on_a.post(bid_url, json={"max_amount": 5_000}, headers=_auth(bob.token))
        assert (proxy.json()["status"], proxy.json()["price"]) == ("leading", 1_100)
        answered = await on_b.post(bid_url, json={"amount": 2_000}, headers=_auth(ann.token))
        assert (answered.json()["status"], answered.json()["price"]) == ("outbid", 2_100)
        frames = [await receive_until(viewer_on_a, "auction") for _ in range(4)]
        assert [(f["data"]["price"], f["data"]["leader_handle"]) for f in frames] == [
            (1_000, None),
            (1_000, ann.handle),
            (1_100, bob.handle),
            (2_100, bob.handle),
        ]
        assert [f["seq"] for f in frames] == sorted(f["seq"] for f in frames)
        async with connect(second.ws_url(SHOW)) as joiner_on_b:
            snapshot = await receive_json(joiner_on_b)
        (late,) = snapshot["data"]["auctions"]
        assert (late["price"], late["leader_handle"], late["product"]["id"]) == (
            2_100,
            bob.handle,
            "velmora-silk-twill-scarf",
        )
        refusals = [
            await on_a.post(bid_url, json={"amount": 1}, headers=_auth(ann.token)),
            await on_a.post(bid_url, json={"amount": 1, "max_amount": 2}, headers=_auth(ann.token)),
            await on_a.post(
                bid_url.replace("lot-e2e", "nope"), json={"amount": 5_000}, headers=_auth(ann.token)
            ),
            await on_a.post(bid_url, json={"amount": 9_000}),
        ]
        assert [(r.status_code, r.json()["error"]["code"]) for r in refusals] == [
            (409, "bid_too_low"),
            (422, "invalid_input"),
            (404, "unknown_auction"),
            (401, "unauthorized"),
        ]
        await first.post_cue(SHOW, {"kind": "auction_cancel", "auction_id": "lot-e2e"})
        assert (await receive_until(viewer_on_a, "auction"))["data"]["status"] == "cancelled"

        # Clients made and connected before the clock starts (making one takes milliseconds).
        racing = [
            httpx.AsyncClient(
                verify=False,
                base_url=(first, second)[index % 2].base_url,
                # Idle between the two races for longer than uvicorn keeps a connection open.
                limits=httpx.Limits(max_connections=1, keepalive_expiry=KEEPALIVE_EXPIRY_S),
                timeout=TIMEOUT_S,
            )
            for index in range(32)
        ]
        await asyncio.gather(*(client.get("/healthz") for client in racing))

        # The race with extensions: every bid lands in the last second (extend_ms = duration).
        racers = [issued.token for issued in sessions[1:]]
        await second.post_cue(SHOW, _cue("race-extend", 3_000, "extend", 1_000))
        bids = [(racers[i % len(racers)], 1_000 + 100 * i) for i in range(EXTEND_RACE)]
        started = time.perf_counter()
        answers = await _race(racing, "race-extend", bids)
        extend_elapsed = time.perf_counter() - started
        extend_accepted = sum(answer[2] == 200 for answer in answers)
        final = await _until_status(redis, "race-extend", {"sold", "payment_failed", "unsold"})
        events = await _auction_events(redis, "race-extend")
        _check_race(events, answers, handle_of, final, extend_ms=1_000)

        # Sudden death: bids from the opening on, each client until it is told the auction
        # closed, so the burst straddles the close however slow the machine; the server clock
        # splits it.
        await first.post_cue(SHOW, _cue("race-sudden", SUDDEN_MS, "sudden_death"))
        bids = [(racers[i % len(racers)], 1_000 + 100 * i) for i in range(SUDDEN_MAX_BIDS)]
        answers = await _race(racing, "race-sudden", bids, until_closed=True)
        final = await _until_status(redis, "race-sudden", {"sold", "payment_failed", "unsold"})
        events = await _auction_events(redis, "race-sudden")
        _check_race(events, answers, handle_of, final, extend_ms=None)
        assert any(answer[3].get("error", {}).get("code") == "auction_closed" for answer in answers)
        for client in racing:
            await client.aclose()
    print(
        f"extend race: {EXTEND_RACE} bids over two processes in {extend_elapsed:.2f} s, "
        f"{extend_accepted} accepted (one frame each)"
    )


def _check_race(
    events: list[tuple[int, dict[str, Any]]],
    answers: list[tuple[str, int, int, dict[str, Any]]],
    handle_of: dict[str, str],
    final: dict[str, Any],
    *,
    extend_ms: int | None,
) -> None:
    accepted = [answer for answer in answers if answer[2] == 200]
    assert accepted, Counter(str(answer[3].get("error", {}).get("code")) for answer in answers)
    assert {answer[2] for answer in answers} <= {200, 409}
    bid_events = [
        (at, data) for at, data in events if data["bids"] > 0 and data["status"] == "open"
    ]
    assert len(bid_events) == len(accepted)
    previous_ends = events[0][1]["ends_at"]
    for at, data in bid_events:
        assert at < previous_ends, "a bid was accepted at or after the close"
        if extend_ms is not None and previous_ends - at < extend_ms:
            assert data["ends_at"] == at + extend_ms and data["extended"]
        else:
            assert data["ends_at"] == previous_ends and not data["extended"]
        previous_ends = data["ends_at"]
    (close_at, closed), *_ = [(at, data) for at, data in events if data["status"] == "closed"]
    assert close_at >= previous_ends == closed["ends_at"]
    token, best, _, _ = max(accepted, key=lambda answer: answer[1])
    assert (final["status"], final["price"], final["leader_handle"]) == (
        "sold",
        best,
        handle_of[token],
    )
    floor = best + (500 if best >= 10_000 else 100)
    for _, amount, status, body in answers:
        if status == 409 and amount >= floor:
            assert body["error"]["code"] == "auction_closed"
