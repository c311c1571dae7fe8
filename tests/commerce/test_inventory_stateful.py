"""Random reserve / pay / cancel / expire / restock sequences keep every SKU's counters whole."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

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
from livebuy.errors import CommerceError
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.services import catalog_store
from livebuy.shows.models import DealStartCue
from livebuy.shows.service import ShowService
from tests.commerce.helpers import CARD_DECLINE, CARD_OK
from tests.servers import settings_for_tests

T = TypeVar("T")
SKUS = ["SBC-BIKR-S", "SBC-BIKR-M", "VLM-SCRF-SKY"]  # 5, 5 and 100 units in the demo catalog
CUSTOMERS = ["ann", "bob", "cat"]
SHOW = "stateful-show"
HOLD_MS = 60_000


class InventoryMachine(RuleBasedStateMachine):
    """Drives the real services and scripts on a real Redis, one event loop per example."""

    redis_url = ""
    # Orders by bundle position: their ids are random, and draws must not depend on them.
    placed = Bundle("placed")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = connect(self.redis_url)
        self.commerce = Commerce.build(
            self.redis,
            catalog_store(self.redis),
            ShowStream(self.redis, 1000),
            settings_for_tests(reservation_hold_ms=HOLD_MS),
        )
        self.orders: dict[str, str] = {}  # order id -> customer
        self.keys = itertools.count()
        self.run(self._setup())

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(step)

    async def _setup(self) -> None:
        await self.redis.flushdb()
        await load_catalog(self.redis, load_demo_catalog())
        stream = ShowStream(self.redis, 1000)
        shows = ShowService(self.redis, stream, catalog_store(self.redis), 1.0)
        deal = DealStartCue(
            kind="deal_start",
            deal_id="flash",
            product_id="sable-coast-leather-biker",
            deal_price=Money(amount=100, currency="EUR"),
            units=4,
            per_customer_limit=2,
        )
        await shows.publish(SHOW, "deal", deal, 0)

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

    @rule(sku=st.sampled_from(SKUS), units=st.integers(1, 3))
    def restock(self, sku: str, units: int) -> None:
        self.run(self.commerce.inventory.restock(sku, units))

    @invariant()
    def counters_add_up(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        reserved = dict.fromkeys(SKUS, 0)
        sold = dict.fromkeys(SKUS, 0)
        deal_taken = 0
        for order_id, customer in self.orders.items():
            order = await self.commerce.orders.get(customer, order_id)
            for line in order.lines:
                if order.status == "pending_payment":
                    reserved[line.sku] += line.quantity
                elif order.status == "paid":
                    sold[line.sku] += line.quantity
                if line.deal_id and order.status in ("pending_payment", "paid"):
                    deal_taken += line.quantity
        for sku in SKUS:
            level = await self.commerce.inventory.level(sku)
            assert min(level.available, level.reserved, level.sold) >= 0, level
            assert (
                level.available + level.reserved + level.sold == level.initial + level.restocked
            ), level
            assert (level.reserved, level.sold) == (reserved[sku], sold[sku]), level
        # The deal was started at program time 0.
        taken = await self.redis.hget(keys.deal_counters(SHOW, "flash", 0), "taken")
        assert int(taken or 0) == deal_taken <= 4


@pytest.fixture
def machine(redis_server: EmbeddedRedis) -> type[InventoryMachine]:
    InventoryMachine.redis_url = redis_server.url
    return InventoryMachine


def test_inventory_invariant_holds(machine: type[InventoryMachine]) -> None:
    """After every step: available + reserved + sold == initial + restocked, nothing negative."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
