"""Random bids, ceilings, clock moves, closes and settling: the Lua steps agree with the model."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from livebuy.errors import AuctionError
from livebuy.games.auctions.service import BidRequest
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from tests.games.auctions.helpers import (
    CARD_DECLINE,
    LADDER,
    SHOW,
    SKU,
    AuctionStack,
    auction_cue,
    card,
    session,
)
from tests.games.auctions.model import AuctionModel

T = TypeVar("T")
BIDDERS = ["ok0", "ok1", "no0", "no1"]  # "no*" cards are declined
DURATION_MS = 20_000
EXTEND_MS = 5_000
examples = itertools.count()


class AuctionMachine(RuleBasedStateMachine):
    """One auction per example on a real Redis, against ``AuctionModel``."""

    redis_url = ""
    loaded = False

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.stack = AuctionStack(connect(self.redis_url))
        self.example = next(examples)
        self.auction_id = f"lot{self.example}"
        self.sessions = {name: session(f"{name}-{self.example}") for name in BIDDERS}

    @initialize(mode=st.sampled_from(["extend", "sudden_death"]))
    def open_auction(self, mode: str) -> None:
        """A fresh auction in ``mode`` (its own id and bidders: nothing carries over)."""
        self.mode = mode
        self.model = self.run(self._setup())

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(step)

    async def _setup(self) -> AuctionModel:
        if not AuctionMachine.loaded:
            await self.stack.redis.flushdb()
            await self.stack.load()
            AuctionMachine.loaded = True
        await self.stack.commerce.inventory.restock(SKU, 2)
        for name, bidder in self.sessions.items():
            number = CARD_DECLINE if name.startswith("no") else "4242424242424242"
            await self.stack.methods.save(bidder.session_id, card(number))
        cue = auction_cue(
            self.auction_id,
            start=1_000,
            duration_ms=DURATION_MS,
            mode=self.mode,
            extend_ms=EXTEND_MS,
        )
        await self.stack.shows.publish(SHOW, f"cue-{self.auction_id}", cue, 0, strict=True)
        return AuctionModel(
            start_price=1_000,
            ladder=LADDER,
            started_at=self.stack.clock.now,
            duration_ms=DURATION_MS,
            mode=self.mode,
            extend_ms=EXTEND_MS,
        )

    def teardown(self) -> None:
        self.run(self.stack.redis.aclose())
        self.loop.close()

    @rule(
        bidder=st.sampled_from(BIDDERS),
        kind=st.sampled_from(["amount", "max"]),
        above=st.integers(-200, 12_000),
        tie=st.booleans(),
    )
    def bid(self, bidder: str, kind: str, above: int, tie: bool) -> None:
        """A bid or a ceiling around the floor the model says, or equal to the leader's ceiling."""
        value = max(self.model.floor() + above, 1)
        if tie and self.model.leader:
            value = self.model.leader_max
        expected = self.model.bid(self.stack.clock.now, bidder, kind, value)
        body = BidRequest(amount=value) if kind == "amount" else BidRequest(max_amount=value)

        async def place() -> str:
            try:
                result = await self.stack.auctions.bid(
                    SHOW, self.auction_id, self.sessions[bidder], body
                )
            except AuctionError as error:
                return error.code
            return result.status

        assert self.run(place()) == expected

    @rule(ms=st.integers(0, 12_000))
    def tick(self, ms: int) -> None:
        """Time passes (both clocks)."""
        self.stack.clock.now += ms

    @rule()
    def close(self) -> None:
        """The closer looks (it closes only once the clock ran out)."""
        self.model.close(self.stack.clock.now)
        self.run(self.stack.settler.close(SHOW, self.auction_id))

    @precondition(lambda self: self.model.status in ("closed", "payment_failed"))
    @rule()
    def settle(self) -> None:
        """The settler's next step (after the hold, when a charge failed)."""
        declines = {name for name in BIDDERS if name.startswith("no")}
        self.model.settle(declines)
        self.run(self.stack.settler.settle(SHOW, self.auction_id, self.stack.clock.now))
        self.charges_agree()

    @invariant()
    def agrees(self) -> None:
        """Status, price, leader (or settling candidate) and ends_at as the model says."""
        private = self.run(self.stack.private(self.auction_id))
        model = self.model
        assert private["status"] == model.status
        assert int(private["price"]) == model.price
        assert int(private["ends_at"]) == model.ends_at
        leader = private["candidate"] if private.get("candidate") else private["leader"]
        expected = self.sessions[model.leader].session_id if model.leader else ""
        assert leader == expected

    def charges_agree(self) -> None:
        """Exactly the model's charges were paid orders, at the model's prices."""

        async def paid() -> list[tuple[str, int]]:
            found = []
            for name, bidder in self.sessions.items():
                for order in (await self.stack.commerce.orders.recent(bidder.session_id)).items:
                    if order.status == "paid":
                        found.append((name, order.total.amount))
            return found

        assert sorted(self.run(paid())) == sorted(self.model.charged)


@pytest.fixture
def machine(redis_server: EmbeddedRedis) -> type[AuctionMachine]:
    AuctionMachine.redis_url = redis_server.url
    AuctionMachine.loaded = False
    return AuctionMachine


def test_auction_steps_agree_with_the_model(machine: type[AuctionMachine]) -> None:
    """Bids, ceilings, extensions, close and payment failure → next bidder match the model."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
