"""Random reserve / pay / cancel / expire / restock sequences keep every SKU's counters whole."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar, cast

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from catalog.models import Money
from livebuy.commerce.models import OrderRequest, PaymentRequest
from livebuy.commerce.services import Commerce
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import CommerceError, LivebuyError
from livebuy.events.stream import ShowStream
from livebuy.games.drops.closer import DropCloser
from livebuy.games.drops.service import DropService
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.services import catalog_store
from livebuy.sessions.models import Session
from livebuy.shows.models import DealStartCue
from livebuy.shows.service import ShowService
from tests.commerce.helpers import CARD_DECLINE, CARD_OK
from tests.games.drops.helpers import ManualClock
from tests.servers import settings_for_tests

T = TypeVar("T")
SKUS = ["SBC-BIKR-S", "SBC-BIKR-M", "VLM-SCRF-SKY"]  # 5, 5 and 100 units in the demo catalog
CUSTOMERS = ["ann", "bob", "cat"]
# A lottery deal of the scarf (2 units, a waitlist of 1) drawn among these.
ENTRANTS = [*CUSTOMERS, "dan", "eve"]
LOTTERY_UNITS = 2
LOTTERY_WINDOW_MS = 10_000
SHOW = "stateful-show"
HOLD_MS = 60_000


class InventoryMachine(RuleBasedStateMachine):
    """Drives the real services and scripts on a real Redis, one event loop per example."""

    redis_url = ""
    # A Redis Cluster at redis_url (tests/cluster runs the machine there too).
    cluster = False
    # Orders by bundle position: their ids are random, and draws must not depend on them.
    placed = Bundle("placed")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = connect(self.redis_url, cluster=self.cluster)
        settings = settings_for_tests(
            reservation_hold_ms=HOLD_MS, drop_waitlist_max=1, drop_entry_grace_ms=0
        )
        self.commerce = Commerce.build(
            self.redis, catalog_store(self.redis), ShowStream(self.redis, 1000), settings
        )
        self.clock = ManualClock()
        self.lottery_started = self.clock.now
        skus = SkuDirectory(catalog_store(self.redis))
        self.drops = DropService(self.redis, skus, settings, self.clock)
        self.closer = DropCloser(
            self.redis,
            ShowStream(self.redis, 1000),
            skus,
            self.commerce.orders.policy,
            tick_ms=100,
            lease_ms=1000,
            clock=self.clock,
        )
        self.commerce.orders.release_listeners.append(self.closer.on_release)
        self.orders: dict[str, str] = {}  # order id -> customer
        self.keys = itertools.count()
        self.run(self._setup())

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(step)

    async def _setup(self) -> None:
        await self.redis.flushdb()
        await load_catalog(self.redis, load_demo_catalog())
        stream = ShowStream(self.redis, 1000)
        shows = ShowService(self.redis, stream, catalog_store(self.redis), 1.0, drops=self.drops)
        deal = DealStartCue(
            kind="deal_start",
            deal_id="flash",
            product_id="sable-coast-leather-biker",
            deal_price=Money(amount=100, currency="EUR"),
            units=4,
            per_customer_limit=2,
        )
        await shows.publish(SHOW, "deal", deal, 0)
        lottery = DealStartCue(
            kind="deal_start",
            deal_id="lotto",
            product_id="velmora-silk-twill-scarf",
            deal_price=Money(amount=100, currency="EUR"),
            units=LOTTERY_UNITS,
            mode="lottery",
            entry_window_ms=LOTTERY_WINDOW_MS,
            pay_hold_ms=HOLD_MS,
        )
        await shows.publish(SHOW, "lotto", lottery, self.lottery_started)

    def teardown(self) -> None:
        self.run(self.redis.aclose())
        self.loop.close()

    async def _try(self, step: Coroutine[Any, Any, Any]) -> None:
        try:
            await step
        except CommerceError:
            pass  # refusals (out of stock, limits, wrong state) are legal outcomes

    async def _place(self, customer: str, request: OrderRequest) -> Any:
        try:
            order, _ = await self.commerce.orders.create(customer, f"k{next(self.keys)}", request)
        except CommerceError:
            return multiple()  # refused (out of stock, limit): a legal outcome, no order
        self.orders[order.id] = customer
        return order.id

    @rule(
        target=placed,
        customer=st.sampled_from(CUSTOMERS),
        sku=st.sampled_from(SKUS),
        quantity=st.integers(1, 4),
        deal=st.booleans(),
    )
    def reserve(self, customer: str, sku: str, quantity: int, deal: bool) -> Any:
        request = OrderRequest(
            sku=sku,
            quantity=quantity,
            show_id=SHOW if deal else None,
            deal_id="flash" if deal else None,
        )
        return self.run(self._place(customer, request))

    @rule(
        target=placed,
        customer=st.sampled_from(CUSTOMERS),
        quantities=st.lists(st.integers(1, 3), min_size=2, max_size=3),
    )
    def checkout_cart(self, customer: str, quantities: list[int]) -> Any:
        async def step() -> Any:
            for sku, quantity in zip(SKUS, quantities, strict=False):
                await self.commerce.cart.put(customer, sku, quantity)
            return await self._place(customer, OrderRequest(from_cart=True))

        return self.run(step())

    @rule(order_id=placed, approve=st.booleans())
    def pay(self, order_id: str, approve: bool) -> None:
        card = PaymentRequest(
            card_number=CARD_OK if approve else CARD_DECLINE,
            expiry_month=1,
            expiry_year=2030,
            cvc="123",
        )
        self.run(self._try(self.commerce.orders.pay(self.orders[order_id], order_id, card)))

    @rule(order_id=placed)
    def cancel(self, order_id: str) -> None:
        self.run(self._try(self.commerce.orders.cancel(self.orders[order_id], order_id)))

    @rule(order_id=placed, twice=st.booleans())
    def expire(self, order_id: str, twice: bool) -> None:

        async def step() -> None:
            later = 2**42  # far past any hold
            # Two sweepers racing on one order release its units once.
            await asyncio.gather(
                *(self.commerce.orders.expire(order_id, later) for _ in range(1 + twice))
            )

        self.run(step())

    @rule(
        target=placed,
        entrants=st.lists(st.sampled_from(ENTRANTS), max_size=5),
        close=st.booleans(),
        buyer=st.sampled_from(ENTRANTS),
    )
    def lottery(self, entrants: list[str], close: bool, buyer: str) -> Any:
        """Taps on the lottery deal (refused once the window closed); with ``close`` the window
        ends; the closer runs (draws, promotes: its orders join the bundle); then a first-come
        order for the deal, refused (deal_in_lottery) until the waitlist is over."""

        async def step() -> Any:
            for entrant in entrants:
                session = Session(
                    session_id=entrant, handle=f"h-{entrant}", display_name=entrant, created_at=0
                )
                await self._try_game(self.drops.enter(SHOW, "lotto", session, "VLM-SCRF-SKY"))
            if close:
                self.clock.now = max(self.clock.now, self.lottery_started + LOTTERY_WINDOW_MS)
            await self.closer.step()
            granted = await self._new_grants()
            request = OrderRequest(sku="VLM-SCRF-SKY", quantity=1, show_id=SHOW, deal_id="lotto")
            bought = await self._place(buyer, request)
            return multiple(*granted.values, *([bought] if isinstance(bought, str) else []))

        return self.run(step())

    async def _try_game(self, step: Coroutine[Any, Any, Any]) -> None:
        try:
            await step
        except LivebuyError:
            pass  # the window closed: a legal outcome

    async def _new_grants(self) -> Any:
        """The lottery's orders made since the last look (winners', promoted entries')."""
        grants = cast(
            dict[str, str],
            await self.redis.hgetall(keys.drop_grants(SHOW, "lotto", self.lottery_started)),
        )
        fresh = [
            order_id
            for session, order_id in grants.items()
            if order_id and order_id not in self.orders
        ]
        for session, order_id in grants.items():
            if order_id:
                self.orders[order_id] = session
        return multiple(*sorted(fresh, key=lambda order_id: grants_order(grants, order_id)))

    @rule(sku=st.sampled_from(SKUS), units=st.integers(1, 3))
    def restock(self, sku: str, units: int) -> None:
        self.run(self.commerce.inventory.restock(sku, units))

    @invariant()
    def counters_add_up(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        reserved = dict.fromkeys(SKUS, 0)
        sold = dict.fromkeys(SKUS, 0)
        deal_taken = {"flash": 0, "lotto": 0}
        lottery_orders: set[str] = set()
        for order_id, customer in self.orders.items():
            order = await self.commerce.orders.get(customer, order_id)
            for line in order.lines:
                if order.status == "pending_payment":
                    reserved[line.sku] += line.quantity
                elif order.status == "paid":
                    sold[line.sku] += line.quantity
                if line.deal_id and order.status in ("pending_payment", "paid"):
                    deal_taken[line.deal_id] += line.quantity
                    if line.deal_id == "lotto":
                        lottery_orders.add(order_id)
        for sku in SKUS:
            level = await self.commerce.inventory.level(sku)
            assert min(level.available, level.reserved, level.sold) >= 0, level
            assert (
                level.available + level.reserved + level.sold == level.initial + level.restocked
            ), level
            assert (level.reserved, level.sold) == (reserved[sku], sold[sku]), level
        # The deal was started at program time 0.
        taken = await self.redis.hget(keys.deal_counters(SHOW, "flash", 0), "taken")
        assert int(taken or 0) == deal_taken["flash"] <= 4
        lottery_counters = keys.deal_counters(SHOW, "lotto", self.lottery_started)
        lottery_taken = await self.redis.hget(lottery_counters, "taken")
        assert int(lottery_taken or 0) == deal_taken["lotto"] <= LOTTERY_UNITS
        # Until the waitlist is over, the lottery deal's units go only to drawn entries.
        drop = keys.drop(SHOW, "lotto", self.lottery_started)
        if await self.redis.hget(drop, "first_come") != "1":
            grants = keys.drop_grants(SHOW, "lotto", self.lottery_started)
            assert lottery_orders <= set(await self.redis.hvals(grants))


@pytest.fixture
def machine(redis_server: EmbeddedRedis) -> type[InventoryMachine]:
    InventoryMachine.redis_url = redis_server.url
    return InventoryMachine


def grants_order(grants: dict[str, str], order_id: str) -> str:
    """A stable sort key of a new grant (its session), so draws do not depend on random ids."""
    return next(session for session, granted in grants.items() if granted == order_id)


def test_inventory_invariant_holds(machine: type[InventoryMachine]) -> None:
    """After every step: available + reserved + sold == initial + restocked, nothing negative;
    neither deal (first-come, or lottery with its draw, waitlist and first-come after) ever has
    more units taken than it offers."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=14,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
