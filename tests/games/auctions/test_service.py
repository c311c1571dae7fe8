"""Auctions against the real Redis: the ladder, proxy bids, the clock, close and settling."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from livebuy.errors import (
    AlreadyLeadingError,
    AuctionClosedError,
    AuctionRunningError,
    BidTooLowError,
    OutOfStockError,
    PaymentMethodRequiredError,
)
from livebuy.games.auctions.service import BidRequest
from livebuy.redis import keys
from livebuy.shows.models import AuctionCancelCue
from tests.games.auctions.helpers import (
    CARD_DECLINE,
    HOLD_MS,
    SHOW,
    SKU,
    AuctionStack,
    auction_cue,
    card,
    session,
)

ANN, BOB, CAT = session("ann"), session("bob"), session("cat")


@pytest.fixture
async def stack(redis: Redis) -> AsyncIterator[AuctionStack]:
    """The auction stack with the demo catalog and three bidders with saved cards."""
    stack = AuctionStack(redis)
    await stack.load()
    for bidder in (ANN, BOB, CAT):
        await stack.methods.save(bidder.session_id, card())
    yield stack


async def _start(stack: AuctionStack, **options: int | str) -> None:
    cue = auction_cue(**options)  # type: ignore[arg-type]
    await stack.shows.publish(SHOW, "cue-lot1", cue, stack.clock.now, strict=True)


def amount(value: int) -> BidRequest:
    return BidRequest(amount=value)


def ceiling(value: int) -> BidRequest:
    return BidRequest(max_amount=value)


async def test_bids_follow_the_ladder_and_the_stream_gets_one_event_per_accepted_bid(
    stack: AuctionStack,
) -> None:
    """The first bid is at least the start price, then price + the ladder's step; refusals say
    the floor and append nothing."""
    await _start(stack)
    first = await stack.auctions.bid(SHOW, "lot1", ANN, amount(1_000))
    assert (first.status, first.price) == ("leading", 1_000)
    with pytest.raises(BidTooLowError) as low:
        await stack.auctions.bid(SHOW, "lot1", BOB, amount(1_050))
    assert low.value.details["min_amount"] == 1_100
    with pytest.raises(AlreadyLeadingError):
        await stack.auctions.bid(SHOW, "lot1", ANN, amount(1_100))
    await stack.auctions.bid(SHOW, "lot1", BOB, amount(10_000))
    with pytest.raises(BidTooLowError) as low:
        await stack.auctions.bid(SHOW, "lot1", ANN, amount(10_100))
    assert low.value.details["min_amount"] == 10_500
    events = await stack.events()
    assert [kind for kind, _ in events] == ["cue", "auction", "auction", "auction"]
    last = events[-1][1]
    assert (last["price"], last["leader_handle"], last["min_next"]) == (10_000, "h-bob", 10_500)
    assert "sid-bob" not in str(events)


async def test_proxy_bids_second_price_and_ties_go_to_the_earlier_ceiling(
    stack: AuctionStack,
) -> None:
    """A ceiling bids for its owner just above a challenger; an equal ceiling loses to it."""
    await _start(stack)
    opened = await stack.auctions.bid(SHOW, "lot1", ANN, ceiling(5_000))
    assert (opened.status, opened.price) == ("leading", 1_000)
    answered = await stack.auctions.bid(SHOW, "lot1", BOB, amount(2_000))
    assert (answered.status, answered.price) == ("outbid", 2_100)
    tie = await stack.auctions.bid(SHOW, "lot1", CAT, ceiling(5_000))
    assert (tie.status, tie.price) == ("outbid", 5_000)
    over = await stack.auctions.bid(SHOW, "lot1", CAT, ceiling(20_000))
    assert (over.status, over.price) == ("leading", 5_100)
    raised = await stack.auctions.bid(SHOW, "lot1", CAT, ceiling(30_000))
    assert (raised.status, raised.price, raised.seq) == ("leading", 5_100, None)


async def test_a_late_bid_extends_the_clock_and_sudden_death_never_does(
    stack: AuctionStack,
) -> None:
    """extend: a bid with < T left sets the time left to T; sudden death keeps ends_at."""
    await _start(stack, duration_ms=20_000, extend_ms=10_000)
    started = stack.clock.now
    await stack.auctions.bid(SHOW, "lot1", ANN, amount(1_000))
    stack.clock.now = started + 15_000
    late = await stack.auctions.bid(SHOW, "lot1", BOB, amount(1_100))
    assert late.ends_at == stack.clock.now + 10_000
    assert (await stack.events())[-1][1]["extended"] is True
    stack.clock.now = late.ends_at - 1
    again = await stack.auctions.bid(SHOW, "lot1", ANN, amount(1_200))
    assert again.ends_at == stack.clock.now + 10_000
    stack.clock.now = again.ends_at
    with pytest.raises(AuctionClosedError):
        await stack.auctions.bid(SHOW, "lot1", BOB, amount(5_000))

    await stack.redis.delete(keys.auction(SHOW, "lot1"))
    await _start(stack, duration_ms=20_000, mode="sudden_death")
    started = stack.clock.now
    stack.clock.now = started + 19_999
    last = await stack.auctions.bid(SHOW, "lot1", ANN, amount(1_000))
    assert last.ends_at == started + 20_000
    stack.clock.now += 1
    with pytest.raises(AuctionClosedError):
        await stack.auctions.bid(SHOW, "lot1", BOB, amount(9_000))


async def test_the_winner_is_charged_at_the_winning_price_through_an_order(
    stack: AuctionStack,
) -> None:
    """At close the winner's order is created at the price, reserved and paid; status sold."""
    await _start(stack)
    await stack.auctions.bid(SHOW, "lot1", ANN, ceiling(8_000))
    await stack.auctions.bid(SHOW, "lot1", BOB, amount(3_000))
    assert await stack.settler.close(SHOW, "lot1") == "open"
    stack.clock.now += 20_000
    assert await stack.settler.close(SHOW, "lot1") == "closed"
    before = await stack.commerce.inventory.level(SKU)
    assert await stack.settler.settle(SHOW, "lot1", stack.clock.now) == "sold"
    (order,) = (await stack.commerce.orders.recent(ANN.session_id)).items
    assert (order.status, order.total.amount) == ("paid", 3_100)
    after = await stack.commerce.inventory.level(SKU)
    assert (after.available, after.sold) == (before.available - 1, before.sold + 1)
    final = (await stack.events())[-1][1]
    assert (final["status"], final["leader_handle"], final["price"]) == ("sold", "h-ann", 3_100)


async def test_a_failed_charge_goes_to_the_next_highest_bidder_after_the_hold(
    stack: AuctionStack,
) -> None:
    """Declined: payment_failed for the hold, then the winner's order is cancelled and the
    next-highest bidder pays their highest bid."""
    await stack.methods.save(ANN.session_id, card(CARD_DECLINE))
    await _start(stack)
    await stack.auctions.bid(SHOW, "lot1", CAT, amount(1_500))
    await stack.auctions.bid(SHOW, "lot1", BOB, ceiling(4_000))
    await stack.auctions.bid(SHOW, "lot1", ANN, ceiling(9_000))
    stack.clock.now += 20_000
    await stack.settler.close(SHOW, "lot1")
    assert await stack.settler.settle(SHOW, "lot1", stack.clock.now) == "payment_failed"
    settling = await stack.redis.zrange(keys.auctions_settling(SHOW), 0, -1, withscores=True)
    assert settling == [("lot1", stack.clock.now + HOLD_MS)]
    assert await stack.settler.settle(SHOW, "lot1", stack.clock.now + HOLD_MS) == "sold"
    (declined,) = (await stack.commerce.orders.recent(ANN.session_id)).items
    assert declined.status == "cancelled"
    (paid,) = (await stack.commerce.orders.recent(BOB.session_id)).items
    assert (paid.status, paid.total.amount) == ("paid", 4_000)
    final = (await stack.events())[-1][1]
    assert (final["status"], final["leader_handle"], final["reason"]) == (
        "sold",
        "h-bob",
        "second_chance",
    )


async def test_refusals_no_card_no_stock_running_and_cancel(stack: AuctionStack) -> None:
    """No saved card: 403; no stock: the start is refused; an open id cannot start again;
    a cancelled auction takes no bids."""
    nobody = session("dan")
    await _start(stack)
    with pytest.raises(PaymentMethodRequiredError):
        await stack.auctions.bid(SHOW, "lot1", nobody, amount(1_000))
    with pytest.raises(AuctionRunningError):
        await _start(stack)
    await stack.shows.publish(
        SHOW, "cancel", AuctionCancelCue(kind="auction_cancel", auction_id="lot1"), 0, strict=True
    )
    with pytest.raises(AuctionClosedError):
        await stack.auctions.bid(SHOW, "lot1", ANN, amount(1_000))
    assert (await stack.events())[-1][1]["status"] == "cancelled"
    await stack.redis.hset(keys.inventory(SKU), "available", 0)
    with pytest.raises(OutOfStockError):
        await _start(stack)
