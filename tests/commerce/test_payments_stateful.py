"""Random pays, cancels, expiries, crashes and worker restarts never lose or double money."""

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
    rule,
    run_state_machine_as_test,
)

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from livebuy.commerce.models import OrderRequest, PaymentRequest
from livebuy.commerce.payments_worker import work_once
from livebuy.commerce.services import Commerce
from livebuy.errors import CommerceError
from livebuy.events.stream import ShowStream
from livebuy.faults import Faults
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.services import catalog_store
from tests.commerce.helpers import (
    CARD_CHARGED_TIMEOUT,
    CARD_DECLINE,
    CARD_OK,
    CARD_REFUND_FAILS,
    assert_payments_consistent,
    gateway_log,
    in_buckets,
    money_moves,
)
from tests.servers import settings_for_tests

T = TypeVar("T")
# 220 and 100 units in the demo catalog: placing is never refused, so the bundle of orders (and
# with it hypothesis's draws) does not depend on how racing steps happened to interleave.
SKUS = ["STW-CRT-WHT-40", "VLM-SCRF-SKY"]
CUSTOMERS = ["ann", "bob"]
CARDS = [CARD_OK, CARD_REFUND_FAILS, CARD_CHARGED_TIMEOUT, CARD_DECLINE]
# The worker's clock runs far past every hold and lock, a retry's backoff further per pass.
LATER = 2**42
PASS_MS = 1000


class SimulatedCrashError(BaseException):
    """The process died here: nothing after this point of the step runs (not even handlers)."""


def _crash() -> None:
    raise SimulatedCrashError


class PaymentsMachine(RuleBasedStateMachine):
    """Drives the real services, scripts and demo gateway on a real Redis."""

    redis_url = ""
    # A Redis Cluster at redis_url (tests/cluster runs the machine there too).
    cluster = False
    placed = Bundle("placed")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = connect(self.redis_url, cluster=self.cluster)
        self.faults = Faults(crash=_crash)
        self.commerce = self._build()
        self.orders: dict[str, str] = {}  # order id -> customer
        self.keys = itertools.count()
        self.clock = itertools.count(LATER, PASS_MS)
        self.crashes = 0
        self.run(self._setup())

    def _build(self) -> Commerce:
        """A process's commerce services; a restart builds new ones on the same Redis."""
        return Commerce.build(
            self.redis,
            catalog_store(self.redis),
            ShowStream(self.redis, 1000),
            settings_for_tests(refund_retry_base_ms=10, refund_retry_max_ms=PASS_MS // 2),
            faults=self.faults,
        )

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(step)

    async def _setup(self) -> None:
        await self.redis.flushdb()
        await load_catalog(self.redis, load_demo_catalog())

    def teardown(self) -> None:
        try:
            self.run(self._settle())
            self.run(assert_payments_consistent(self.redis))
        finally:
            self.run(self.redis.aclose())
            self.loop.close()

    async def _try(self, step: Coroutine[Any, Any, Any]) -> None:
        try:
            await step
        except CommerceError:
            pass  # refusals (wrong state, declines, timeouts) are legal outcomes
        except SimulatedCrashError:
            self.crashes += 1

    async def _worker_pass(self) -> None:
        await self._try(work_once(self.commerce.orders.outbox, next(self.clock)))

    async def _settle(self) -> None:
        self.faults.armed.clear()
        for _ in range(20):
            await self._worker_pass()
            if not await in_buckets(self.redis, keys.refunds_due):
                if not await in_buckets(self.redis, keys.charge_attempts):
                    return
        raise AssertionError("the payments worker did not settle in 20 passes")

    @rule(target=placed, customer=st.sampled_from(CUSTOMERS), sku=st.sampled_from(SKUS))
    def place(self, customer: str, sku: str) -> Any:
        async def step() -> Any:
            request = OrderRequest(sku=sku, quantity=1)
            order, _ = await self.commerce.orders.create(customer, f"k{next(self.keys)}", request)
            self.orders[order.id] = customer
            return order.id

        return self.run(step())

    @rule(
        order_id=placed,
        number=st.sampled_from(CARDS),
        crash=st.sampled_from([None, "pay:after_begin", "pay:after_charge", "pay:after_commit"]),
    )
    def pay(self, order_id: str, number: str, crash: str | None) -> None:
        if crash:
            self.faults.armed.add(crash)
        card = PaymentRequest(card_number=number, expiry_month=1, expiry_year=2030, cvc="123")
        self.run(self._try(self.commerce.orders.pay(self.orders[order_id], order_id, card)))
        self.faults.armed.clear()

    @rule(
        order_id=placed,
        crash=st.sampled_from([None, "cancel:after_release", "refund:after_gateway"]),
    )
    def cancel(self, order_id: str, crash: str | None) -> None:
        if crash:
            self.faults.armed.add(crash)
        self.run(self._try(self.commerce.orders.cancel(self.orders[order_id], order_id)))
        self.faults.armed.clear()

    @rule(
        order_id=placed,
        number=st.sampled_from([CARD_OK, CARD_REFUND_FAILS]),
        crash=st.sampled_from(["cancel:after_release", "refund:after_gateway"]),
    )
    def pay_then_crash_cancelling(self, order_id: str, number: str, crash: str) -> None:
        """The issue's path in one step: a paid order whose cancel dies before it refunds."""
        self.pay(order_id, number, None)
        self.cancel(order_id, crash)

    @rule(order_id=placed, cancels=st.integers(1, 3), expiries=st.integers(0, 2))
    def storm(self, order_id: str, cancels: int, expiries: int) -> None:
        """Cancels, expiries, a pay and worker passes racing on one order at once."""

        async def step() -> None:
            customer = self.orders[order_id]
            card = PaymentRequest(card_number=CARD_OK, expiry_month=1, expiry_year=2030, cvc="123")
            await asyncio.gather(
                self._try(self.commerce.orders.pay(customer, order_id, card)),
                *(
                    self._try(self.commerce.orders.cancel(customer, order_id))
                    for _ in range(cancels)
                ),
                *(self.commerce.orders.expire(order_id, LATER) for _ in range(expiries)),
                self._worker_pass(),
                self._worker_pass(),
            )

        self.run(step())

    @rule(crash=st.booleans())
    def worker_pass(self, crash: bool) -> None:
        if crash:
            self.faults.armed.add("refund:after_gateway")
        self.run(self._worker_pass())
        self.faults.armed.clear()

    @rule()
    def restart(self) -> None:
        """A new process: nothing of the old one's memory survives, only Redis."""
        self.commerce = self._build()

    @invariant()
    def money_and_stock_agree(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        charges, refunds = await money_moves(self.redis)
        assert all(count == 1 for count in charges.values()), charges
        assert all(count == 1 for count in refunds.values()), refunds
        log = await gateway_log(self.redis)
        payment_of = {e["idempotency_key"]: e["payment_id"] for e in log if e["kind"] == "charge"}
        refund_of = {e["payment_id"]: e["refund_id"] for e in log if e["kind"] == "refund"}
        due = set(await in_buckets(self.redis, keys.refunds_due))
        open_attempts = set(await in_buckets(self.redis, keys.charge_attempts))
        reserved = dict.fromkeys(SKUS, 0)
        sold = dict.fromkeys(SKUS, 0)
        for order_id, customer in self.orders.items():
            order = await self.commerce.orders.get(customer, order_id)
            payment = payment_of.get(f"order:{order_id}")
            for line in order.lines:
                if order.status == "pending_payment":
                    reserved[line.sku] += line.quantity
                elif order.status == "paid":
                    sold[line.sku] += line.quantity
            if order.status == "paid":
                assert payment == order.payment_id and payment not in refund_of, order
            if order.refund_status == "refunded":
                assert order.payment_id and refund_of[order.payment_id] == order.refund_id
            if order.refund_status == "pending":
                assert order_id in due, order
            if payment is not None and order.status != "paid":
                # A charge not (yet) sold: owed back, or still to be reconciled.
                assert order.refund_status is not None or order_id in open_attempts, order
        for sku in SKUS:
            level = await self.commerce.inventory.level(sku)
            assert min(level.available, level.reserved, level.sold) >= 0, level
            assert (
                level.available + level.reserved + level.sold == level.initial + level.restocked
            ), level
            assert (level.reserved, level.sold) == (reserved[sku], sold[sku]), level


@pytest.fixture
def machine(redis_server: EmbeddedRedis) -> type[PaymentsMachine]:
    PaymentsMachine.redis_url = redis_server.url
    return PaymentsMachine


def test_payments_stay_consistent(machine: type[PaymentsMachine]) -> None:
    """After every step and once settled: paid ⇔ charged once, released ⇔ refunded once."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
