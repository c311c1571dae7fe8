"""Giveaways against the real Redis: entries, eligibility, the close and its proof."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.commerce.coupons import CouponService
from livebuy.errors import (
    AlreadyEnteredError,
    EntryCapError,
    GiveawayClosedError,
    GiveawayNotFoundError,
    NotEligibleError,
)
from livebuy.events.stream import ShowStream
from livebuy.games.draw import verify
from livebuy.games.giveaways.closer import GiveawayCloser
from livebuy.games.giveaways.service import GiveawayService
from livebuy.games.presence import ShowPresence
from livebuy.redis import keys
from livebuy.sessions.models import Session
from livebuy.shows.models import GiveawayCue
from tests.servers import settings_for_tests
from tests.wallet.helpers import wallet_service

SHOW = "gala"


def _cue(**changes: Any) -> GiveawayCue:
    fields: dict[str, Any] = {
        "kind": "giveaway",
        "giveaway_id": "g1",
        "title": "Three coupons",
        "prize": {"kind": "coupon", "coupon_kind": "percent", "value": 20},
        "winners": 3,
        "duration_ms": 60_000,
    }
    fields.update(changes)
    return GiveawayCue.model_validate(fields)


def _session(index: int, age_ms: int = 3_600_000) -> Session:
    return Session(
        session_id=f"s{index:04d}",
        handle=f"h{index:04d}",
        display_name=f"Viewer {index}",
        created_at=now_ms() - age_ms,
    )


def _service(redis: Redis, **settings: Any) -> tuple[GiveawayService, ShowStream]:
    stream = ShowStream(redis, 1000)
    service = GiveawayService(
        redis, stream, CouponService(redis), settings_for_tests(**settings), wallet_service(redis)
    )
    return service, stream


async def _watching(redis: Redis, *sessions: Session) -> None:
    presence = ShowPresence(redis)
    for session in sessions:
        await presence.seen(SHOW, session.session_id)


async def test_one_entry_per_session_under_concurrency(redis: Redis) -> None:
    """Twenty simultaneous taps of one session make exactly one entry; the rest are refused."""
    service, _ = _service(redis)
    await service.open(SHOW, _cue(), now_ms(), 1.0)
    viewer = _session(1)
    await _watching(redis, viewer)
    results = await asyncio.gather(
        *(service.enter(SHOW, "g1", viewer, "10.0.0.1") for _ in range(20)),
        return_exceptions=True,
    )
    entered = [result for result in results if not isinstance(result, BaseException)]
    assert len(entered) == 1
    assert all(
        isinstance(result, AlreadyEnteredError) for result in results if result not in entered
    )
    assert await redis.hlen(keys.giveaway_entries(SHOW, "g1")) == 1


async def test_eligibility_rules(redis: Redis) -> None:
    """Not watching, too new, not chatted and over the IP cap are refused with their reason."""
    service, _ = _service(redis, giveaway_min_session_age_ms=60_000, giveaway_ip_cap=2)
    await service.open(SHOW, _cue(require_chatted=True), now_ms(), 1.0)
    absent, young, silent, *chatters = [_session(i) for i in range(5)]
    young = _session(1, age_ms=1000)
    await _watching(redis, young, silent, *chatters)
    for chatter in chatters:
        await ShowPresence(redis).chatted(SHOW, chatter.session_id)
    reasons = {}
    for session in (absent, young, silent):
        with pytest.raises(NotEligibleError) as refused:
            await service.enter(SHOW, "g1", session, "10.0.0.9")
        reasons[session.handle] = refused.value.details["reason"]
    assert reasons == {"h0000": "not_watching", "h0001": "session_too_new", "h0002": "not_chatted"}
    await service.enter(SHOW, "g1", chatters[0], "10.0.0.9")
    await service.enter(SHOW, "g1", chatters[1], "10.0.0.9")
    third = _session(7)
    await _watching(redis, third)
    await ShowPresence(redis).chatted(SHOW, third.session_id)
    with pytest.raises(EntryCapError):
        await service.enter(SHOW, "g1", third, "10.0.0.9")
    with pytest.raises(GiveawayNotFoundError):
        await service.enter(SHOW, "nope", third, "10.0.0.9")


async def test_close_draws_verifiably_and_grants_coupons(redis: Redis) -> None:
    """The close publishes a proof that verifies; each winner gets a single-use coupon."""
    service, stream = _service(redis)
    opened = await service.open(SHOW, _cue(), now_ms(), 1.0)
    viewers = [_session(i) for i in range(12)]
    await _watching(redis, *viewers)
    for viewer in viewers:
        await service.enter(SHOW, "g1", viewer, "10.0.0.1")
    assert await service.close(SHOW, "g1") is False  # not due yet
    view = await service.close_early(SHOW, "g1")
    assert view.proof is not None
    assert view.proof.commitment == opened["commitment"]
    assert verify(view.proof, opened["commitment"]) == []
    assert view.proof.entries == sorted(viewer.handle for viewer in viewers)
    assert view.report is not None
    assert (view.report.entered, view.report.distinct_winners) == (12, 3)
    grants = await service.grants(SHOW, "g1")
    assert [grant.handle for grant in grants] == view.winners
    for grant in grants:
        assert grant.coupon_code is not None
        terms = await redis.hgetall(keys.coupon(grant.coupon_code))
        assert (terms["kind"], terms["value"], terms["max_uses"]) == ("percent", "20", "1")
    winner = next(viewer for viewer in viewers if viewer.handle == grants[0].handle)
    mine = await service.mine(SHOW, "g1", winner)
    assert mine.won is True
    assert mine.coupon_code == grants[0].coupon_code
    loser = next(viewer for viewer in viewers if viewer.handle not in (view.winners or []))
    assert (await service.mine(SHOW, "g1", loser)).won is False
    with pytest.raises(GiveawayClosedError):
        await service.close_early(SHOW, "g1")
    with pytest.raises(GiveawayClosedError):
        await service.enter(SHOW, "g1", _session(99), "10.0.0.1")
    history = await stream.history(SHOW, 0, None)
    assert sum('"giveaway_result"' in frame for _, frame in history.frames) == 1


async def test_window_closes_on_the_server_clock(redis: Redis) -> None:
    """An entry after ends_at is refused even before the closer ran; the due close then draws."""
    service, _ = _service(redis)
    await service.open(
        SHOW,
        _cue(duration_ms=1000, prize={"kind": "credit", "amount": 500, "currency": "EUR"}),
        now_ms() - 2000,
        1.0,
    )
    viewer = _session(1)
    await _watching(redis, viewer)
    with pytest.raises(GiveawayClosedError):
        await service.enter(SHOW, "g1", viewer, "10.0.0.1")
    assert await service.due(now_ms()) == [(SHOW, "g1")]
    assert await service.close(SHOW, "g1") is True
    assert await service.due(now_ms()) == []
    assert await service.grants(SHOW, "g1") == []


async def test_entry_counts_are_pushed_aggregated(redis: Redis) -> None:
    """Fifty entries between two ticks become one giveaway_entries event; no change, no event."""
    service, stream = _service(redis)
    closer = GiveawayCloser(redis, service, stream, tick_ms=500, lease_ms=2000)
    await service.open(SHOW, _cue(), now_ms(), 1.0)
    viewers = [_session(i) for i in range(50)]
    await _watching(redis, *viewers)
    await closer.tick()
    for viewer in viewers:
        await service.enter(SHOW, "g1", viewer, f"10.0.0.{len(viewer.handle)}")
    await closer.tick()
    await closer.tick()
    history = await stream.history(SHOW, 0, None)
    counts = [
        orjson.loads(frame)["data"]["entries"]
        for _, frame in history.frames
        if '"giveaway_entries"' in frame
    ]
    assert counts == [0, 50]


async def test_favourite_and_purchase_rules(redis: Redis) -> None:
    """With both rules, a session needs a favourite and a paid order from this show to enter."""
    service, _ = _service(redis)
    await service.open(SHOW, _cue(require_favourite=True, require_purchase=True), now_ms(), 1.0)
    viewer = _session(1)
    await _watching(redis, viewer)
    with pytest.raises(NotEligibleError) as refused:
        await service.enter(SHOW, "g1", viewer, "10.0.0.1")
    assert refused.value.details["reason"] == "no_favourite"
    await redis.zadd(keys.favorites(viewer.session_id), {"some-product": now_ms()})
    await redis.hset(keys.order("o-elsewhere"), mapping={"show_id": "other", "status": "paid"})
    await redis.hset(keys.order("o-unpaid"), mapping={"show_id": SHOW, "status": "cancelled"})
    await redis.zadd(keys.customer_orders(viewer.session_id), {"o-elsewhere": 1, "o-unpaid": 2})
    with pytest.raises(NotEligibleError) as refused:
        await service.enter(SHOW, "g1", viewer, "10.0.0.1")
    assert refused.value.details["reason"] == "no_purchase"
    await redis.hset(keys.order("o-here"), mapping={"show_id": SHOW, "status": "paid"})
    await redis.zadd(keys.customer_orders(viewer.session_id), {"o-here": 3})
    assert (await service.enter(SHOW, "g1", viewer, "10.0.0.1")).entries == 1


async def test_closer_draws_a_giveaway_whose_window_ended(redis: Redis) -> None:
    """The elected loop's tick draws a giveaway once its window is over, and leaves open ones."""
    service, stream = _service(redis)
    closer = GiveawayCloser(redis, service, stream, tick_ms=500, lease_ms=2000)
    await service.open(SHOW, _cue(duration_ms=1000), now_ms() - 2000, 1.0)
    await service.open(SHOW, _cue(giveaway_id="later"), now_ms(), 1.0)
    await closer.tick()
    assert (await service.view(SHOW, "g1")).status == "closed"
    assert (await service.view(SHOW, "later")).status == "open"
    assert await service.due(now_ms() + 3_600_000) == [(SHOW, "later")]
