"""Grabbing red packets through the service on the real Redis: one each, exact sums, paid once."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from livebuy.errors import (
    AlreadyGrabbedError,
    RainClosedError,
    RainEmptyError,
    RedPacketRainNotFoundError,
)
from livebuy.games.red_packets.service import RedPacketService
from livebuy.redis import keys
from tests.games.red_packets.helpers import SHOW, open_in_state
from tests.wallet.helpers import ledger, wallet_service


def service(redis: Redis) -> RedPacketService:
    """A red-packet service paying into the test wallet."""
    return RedPacketService(redis, wallet_service(redis))


async def test_grabs_are_one_per_viewer_and_sum_to_the_budget(redis: Redis) -> None:
    """50 viewers grabbing 10 packets twice each: 10 granted, Σ = budget, each wallet paid once."""
    red = service(redis)
    await open_in_state(redis, "r1", count=10, budget=1000)
    viewers = [f"v{index}" for index in range(50)]

    async def attempt(viewer: str) -> int:
        try:
            return (await red.grab(SHOW, "r1", viewer)).amount
        except (RainEmptyError, AlreadyGrabbedError):
            return 0

    amounts = await asyncio.gather(*(attempt(v) for v in viewers * 2))
    assert sum(1 for amount in amounts if amount) == 10 and sum(amounts) == 1000
    paid = [sum(e["amount"] for e in await ledger(redis, v)) for v in viewers]
    assert sum(paid) == 1000 and sum(1 for p in paid if p) == 10
    assert not await redis.zcard(keys.red_packets_outbox(SHOW))


async def test_refusals(redis: Redis) -> None:
    """A second grab, an empty rain, a closed rain and an unknown rain are refused by code."""
    red = service(redis)
    await open_in_state(redis, "one", count=1, budget=100)
    first = await red.grab(SHOW, "one", "a")
    with pytest.raises(AlreadyGrabbedError) as again:
        await red.grab(SHOW, "one", "a")
    assert again.value.details["amount"] == first.amount == 100
    with pytest.raises(RainEmptyError):
        await red.grab(SHOW, "one", "b")
    await open_in_state(redis, "over", duration_ms=-1)
    with pytest.raises(RainClosedError):
        await red.grab(SHOW, "over", "a")
    with pytest.raises(RedPacketRainNotFoundError):
        await red.grab(SHOW, "nope", "a")


async def test_a_grant_whose_credit_was_lost_is_paid_once_later(redis: Redis) -> None:
    """A grant left in the outbox (its request died) is paid by settle_due once, however often."""
    red = service(redis)
    grant = f"a|EUR|120|{SHOW}:r2:1700000000000:4"  # as red_packets_grab.lua writes it
    await redis.zadd(keys.red_packets_outbox(SHOW), {grant: 0})
    assert await red.settle_due(SHOW, before=1_000) == 1
    await redis.zadd(keys.red_packets_outbox(SHOW), {grant: 0})
    await asyncio.gather(*(red.settle_due(SHOW, before=1_000) for _ in range(3)))
    entries = await ledger(redis, "a")
    assert [(e["source"], e["amount"]) for e in entries] == [("red_packet", 120)]
    assert not await redis.zcard(keys.red_packets_outbox(SHOW))
