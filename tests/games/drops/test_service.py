"""Lottery drops against the real Redis: the window, entries, the draw, the waitlist, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import pytest
from redis.asyncio import Redis

from livebuy.errors import (
    DealInLotteryError,
    DealNotFoundError,
    DealNotLotteryError,
    DropClosedError,
    InvalidInputError,
    SessionTooNewError,
)
from livebuy.events.state import deal_lottery
from livebuy.games.draw import DrawProof, verify
from livebuy.redis import keys
from livebuy.services import catalog_store
from livebuy.shows.service import ShowService
from tests.games.drops.helpers import (
    GRACE_MS,
    HOLD_MS,
    SHOW,
    WINDOW_MS,
    DropStack,
    card,
    deal_cue,
    viewer,
)


async def redis_fields(stack: DropStack, key: str) -> dict[str, str]:
    return cast(dict[str, str], await stack.redis.hgetall(key))


@pytest.fixture
async def stack(redis: Redis) -> AsyncIterator[DropStack]:
    """The drop stack with the demo catalog loaded."""
    stack = DropStack(redis, {"drop_waitlist_max": 2})
    await stack.load()
    yield stack


async def test_cue_commits_the_seed_and_opens_the_window(stack: DropStack) -> None:
    """A lottery cue's frame and state carry mode, window and seed hash; a first-come cue's frame
    is as before plus its mode."""
    started = await stack.start(deal_cue())
    await stack.start(deal_cue("plain", mode="first_come", entry_window_ms=None, pay_hold_ms=None))
    (_, lottery), (_, plain) = await stack.events()
    assert lottery["mode"] == "lottery"
    assert lottery["entries_close_at"] == started + WINDOW_MS
    assert (lottery["entry_window_ms"], lottery["pay_hold_ms"]) == (WINDOW_MS, HOLD_MS)
    fields = await redis_fields(stack, keys.drop(SHOW, "drop1", started))
    assert fields["seed_hash"] == lottery["seed_hash"] and "seed" not in lottery
    assert plain["mode"] == "first_come"
    assert {"entry_window_ms", "entries_close_at", "seed_hash"}.isdisjoint(plain)
    phase = await deal_lottery(stack.redis, SHOW, "drop1")
    assert phase is not None and phase["phase"] == "entries"
    with pytest.raises(ValueError, match="lottery"):
        deal_cue(mode="first_come")
    with pytest.raises(ValueError, match="outlast"):
        deal_cue(duration_ms=5_000)


async def test_entries_are_idempotent_and_refusals_are_named(stack: DropStack) -> None:
    """Twenty taps of one session make one entry (one 'created'); unknown, first-come, closed,
    too-new and wrong-SKU entries are refused; ordering the deal meanwhile is deal_in_lottery."""
    await stack.start(deal_cue())
    await stack.start(deal_cue("plain", mode="first_come", entry_window_ms=None, pay_hold_ms=None))
    results = await asyncio.gather(
        *(stack.drops.enter(SHOW, "drop1", viewer(1), None) for _ in range(20))
    )
    assert sum(created for _, created in results) == 1
    assert {result.status for result, _ in results} == {"entered"}
    with pytest.raises(DealNotFoundError):
        await stack.drops.enter(SHOW, "ghost", viewer(2), None)
    with pytest.raises(DealNotLotteryError):
        await stack.drops.enter(SHOW, "plain", viewer(2), None)
    with pytest.raises(InvalidInputError):
        await stack.drops.enter(SHOW, "drop1", viewer(2), "STW-CRT-WHT-40")
    with pytest.raises(DealInLotteryError):
        await stack.buy("buyer")
    stack.clock.now += WINDOW_MS + GRACE_MS - 1  # the grace still counts
    await stack.drops.enter(SHOW, "drop1", viewer(3), "VLM-SCRF-EME")
    stack.clock.now += 1
    with pytest.raises(DropClosedError) as closed:
        await stack.drops.enter(SHOW, "drop1", viewer(4), None)
    assert closed.value.code == "deal_not_active"
    again, created = await stack.drops.enter(SHOW, "drop1", viewer(1), None)
    assert (again.status, created) == ("entered", False)


async def test_new_sessions_can_be_excluded(redis: Redis) -> None:
    """With the rule on, a session created after the announcement is refused session_too_new."""
    stack = DropStack(redis, {"drop_exclude_new_sessions": True})
    await stack.load()
    started = await stack.start(deal_cue())
    await stack.drops.enter(SHOW, "drop1", viewer(1, created_at=started - 1), None)
    with pytest.raises(SessionTooNewError):
        await stack.drops.enter(SHOW, "drop1", viewer(2, created_at=started + 1), None)


async def test_draw_orders_waitlist_and_first_come(stack: DropStack) -> None:
    """3 units, 6 entrants, waitlist 2: winners get reserved orders at the deal price before
    deal_drawn; the proof verifies and a changed entry list does not; a cancelled and an expired
    winner pass their units to the waitlist in draw order; then the deal sells first-come."""
    started = await stack.start(deal_cue(units=3))
    viewers = [viewer(index) for index in range(6)]
    for one in viewers:
        await stack.drops.enter(SHOW, "drop1", one, None)
    await stack.draw()
    document = await stack.drops.document(SHOW, "drop1")
    proof = document.proof
    assert proof is not None and document.winner_count == 3 and document.waitlisted == 2
    assert verify(proof, document.commitment) == []
    changed = DrawProof.model_validate(
        {**proof.model_dump(), "entries": sorted([*proof.entries[1:], "h999"])}
    )
    assert verify(changed, document.commitment) != []
    by_handle = {one.handle: one for one in viewers}
    winners = [by_handle[handle] for handle in proof.winners[:3]]
    waitlist = [by_handle[handle] for handle in proof.winners[3:]]
    (lost,) = [one for one in viewers if one.handle not in proof.winners]
    mine = [await stack.drops.mine(SHOW, "drop1", one) for one in winners]
    assert {entry.status for entry in mine} == {"won"}
    order = await stack.commerce.orders.get(winners[0].session_id, mine[0].order_id or "")
    assert order.total.amount == 1000 and order.expires_at == stack.clock.now + HOLD_MS
    assert mine[0].pay_by == order.expires_at
    assert (await stack.drops.mine(SHOW, "drop1", waitlist[0])).status == "waitlisted"
    assert (await stack.drops.mine(SHOW, "drop1", lost)).status == "lost"
    assert await stack.taken("drop1", started) == 3
    kinds = [kind for kind, _ in await stack.events()]
    assert kinds == ["cue", "deal_drawn"]
    drawn = (await stack.events())[-1][1]
    assert drawn["winners"] == proof.winners[:3] and drawn["entries"] == 6
    assert drawn["seed"] == proof.seed and not drawn["first_come"]
    with pytest.raises(DealInLotteryError):
        await stack.buy("buyer")

    await stack.commerce.orders.pay(winners[0].session_id, mine[0].order_id or "", card())
    await stack.commerce.orders.cancel(winners[1].session_id, mine[1].order_id or "")
    await stack.closer.step()
    promoted = await stack.drops.mine(SHOW, "drop1", waitlist[0])
    assert promoted.status == "won" and promoted.order_id is not None
    cancelled = await stack.drops.mine(SHOW, "drop1", winners[1])
    assert (cancelled.status, cancelled.reason) == ("lost", "cancelled")

    stack.clock.now += HOLD_MS
    assert await stack.commerce.orders.expire(mine[2].order_id or "", stack.clock.now)
    await stack.closer.step()
    assert (await stack.drops.mine(SHOW, "drop1", waitlist[1])).status == "won"
    assert (await stack.drops.mine(SHOW, "drop1", winners[2])).reason == "expired"
    phase = await deal_lottery(stack.redis, SHOW, "drop1")
    assert phase is not None and phase["phase"] == "first_come"
    assert phase["winners"] == 3 and phase["waitlist_left"] == 0

    promoted_order = promoted.order_id or ""
    await stack.commerce.orders.cancel(waitlist[0].session_id, promoted_order)
    await stack.closer.step()
    await stack.buy("buyer")  # the unit given back sells first-come now
    assert await stack.taken("drop1", started) == 3
    kinds = [kind for kind, _ in await stack.events()]
    assert kinds == ["cue", "deal_drawn", "deal_promoted", "deal_promoted"]
    last = (await stack.events())[-1][1]
    assert (last["handle"], last["first_come"], last["waitlist_left"]) == (
        waitlist[1].handle,
        True,
        0,
    )


async def test_a_winner_whose_order_is_being_made_is_not_told_waitlisted(
    stack: DropStack,
) -> None:
    """Between the draw and a winner's order (the closer makes them one by one), the winner's
    standing is ``entered`` (result on its way), never ``waitlisted``; then ``won``."""
    started = await stack.start(deal_cue(units=1))
    viewers = [viewer(index) for index in range(3)]
    for one in viewers:
        await stack.drops.enter(SHOW, "drop1", one, None)
    await stack.draw()
    proof = (await stack.drops.document(SHOW, "drop1")).proof
    assert proof is not None
    (winner,) = [one for one in viewers if one.handle == proof.winners[0]]
    grants = keys.drop_grants(SHOW, "drop1", started)
    order_id = await stack.redis.hget(grants, winner.session_id)
    # The state the closer leaves between settling the draw and recording the winner's order.
    await stack.redis.hdel(grants, winner.session_id)
    assert (await stack.drops.mine(SHOW, "drop1", winner)).status == "entered"
    await stack.redis.hset(grants, winner.session_id, order_id)
    assert (await stack.drops.mine(SHOW, "drop1", winner)).status == "won"


async def test_fewer_entries_than_units_sell_the_rest_first_come(stack: DropStack) -> None:
    """Two entrants for three units: both win, and the third unit is on sale at once."""
    started = await stack.start(deal_cue(units=3))
    for index in range(2):
        await stack.drops.enter(SHOW, "drop1", viewer(index), None)
    await stack.draw()
    drawn = (await stack.events())[-1][1]
    assert drawn["first_come"] is True and len(drawn["winners"]) == 2
    await stack.buy("buyer")
    with pytest.raises(Exception, match="sold out"):
        await stack.buy("other", key="k2")
    assert await stack.taken("drop1", started) == 3


async def test_no_oversell_under_contention(stack: DropStack) -> None:
    """60 entries and 40 concurrent first-come attempts during the lottery: every attempt is
    refused; after the draw (20 units, no waitlist) 10 winners cancel while 40 buyers race for
    the units: exactly 20 units are ever taken, and stock adds up."""
    stack = DropStack(stack.redis, {"drop_waitlist_max": 0})
    started = await stack.start(deal_cue(units=20, per_customer_limit=1))
    viewers = [viewer(index) for index in range(60)]
    outcomes = await asyncio.gather(
        *(stack.drops.enter(SHOW, "drop1", one, None) for one in viewers),
        *(stack.buy(f"buyer{index}", key=f"b{index}") for index in range(40)),
        return_exceptions=True,
    )
    refused = [result for result in outcomes[60:] if isinstance(result, DealInLotteryError)]
    assert len(refused) == 40
    await stack.draw()
    assert await stack.taken("drop1", started) == 20
    winners = [one for one in viewers if (await stack.drops.mine(SHOW, "drop1", one)).order_id]
    assert len(winners) == 20
    orders = [(await stack.drops.mine(SHOW, "drop1", one)).order_id or "" for one in winners]
    results = await asyncio.gather(
        *(
            stack.commerce.orders.cancel(one.session_id, order_id)
            for one, order_id in zip(winners[:10], orders[:10], strict=True)
        ),
        *(stack.buy(f"late{index}", key=f"l{index}") for index in range(40)),
        return_exceptions=True,
    )
    bought = [result for result in results[10:] if isinstance(result, str)]
    assert len(bought) <= 10
    await stack.closer.step()
    assert await stack.taken("drop1", started) == 10 + len(bought) <= 20
    level = await stack.commerce.inventory.level("VLM-SCRF-SKY")
    assert level.available + level.reserved + level.sold == level.initial + level.restocked
    assert level.reserved == 10 + len(bought)


async def test_a_lottery_cue_without_drops_is_refused(redis: Redis) -> None:
    """A show service without drops refuses a lottery cue with a clear error."""
    stack = DropStack(redis)
    await stack.load()
    bare = ShowService(redis, stack.stream, catalog_store(redis), 1.0)
    with pytest.raises(InvalidInputError):
        await bare.publish(SHOW, "x", deal_cue(), stack.clock.now, strict=True)
