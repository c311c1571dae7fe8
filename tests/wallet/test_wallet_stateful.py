"""Random credits, orders, cancels, expiries and payments keep the wallet exact and never negative."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

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
from livebuy.clock import now_ms
from livebuy.commerce.models import OrderRequest, PaymentRequest
from livebuy.commerce.services import Commerce
from livebuy.errors import CommerceError
from livebuy.events.stream import ShowStream
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.services import catalog_store
from tests.commerce.helpers import CARD_DECLINE, CARD_OK
from tests.servers import settings_for_tests
from tests.wallet.helpers import DAY_MS, assert_ledger_matches, ledger, wallet_service

T = TypeVar("T")
SKUS = ["STW-CRT-WHT-40", "VLM-SCRF-SKY"]
CUSTOMERS = ["ann", "bob"]
LATER = 2**42


class WalletMachine(RuleBasedStateMachine):
    """Drives the real order and wallet services and their scripts on a real Redis."""

    redis_url = ""
    placed = Bundle("placed")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = connect(self.redis_url)
        self.wallet = wallet_service(self.redis)
        self.commerce = Commerce.build(
            self.redis,
            catalog_store(self.redis),
            ShowStream(self.redis, 1000),
            settings_for_tests(wallet_return_grace_ms=DAY_MS),
        )
        self.orders: dict[str, str] = {}
        self.keys = itertools.count()
        self.refs = itertools.count()
        self.run(self._setup())

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(step)

    async def _setup(self) -> None:
        await self.redis.flushdb()
        await load_catalog(self.redis, load_demo_catalog())

    def teardown(self) -> None:
        self.run(self.redis.aclose())
        self.loop.close()

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        amount=st.integers(1, 30_000),
        short=st.booleans(),
        retried=st.booleans(),
    )
    def credit(self, customer: str, amount: int, short: bool, retried: bool) -> None:
        ref = f"r{next(self.refs)}"
        # A short lot expires within the next steps: whether it is spent or expires first, the
        # invariants must hold either way.
        expires_at = now_ms() + 50 if short else None
        for _ in range(2 if retried else 1):
            self.run(self.wallet.credit(customer, "EUR", amount, "quiz", ref, expires_at))

    @rule(
        target=placed,
        customer=st.sampled_from(CUSTOMERS),
        sku=st.sampled_from(SKUS),
        use_credit=st.booleans(),
    )
    def place(self, customer: str, sku: str, use_credit: bool) -> Any:
        request = OrderRequest(sku=sku, quantity=1, use_credit=use_credit)
        order, _ = self.run(self.commerce.orders.create(customer, f"k{next(self.keys)}", request))
        self.orders[order.id] = customer
        return order.id

    @rule(order_id=placed, declined=st.booleans())
    def pay(self, order_id: str, declined: bool) -> None:
        number = CARD_DECLINE if declined else CARD_OK
        card = PaymentRequest(card_number=number, expiry_month=1, expiry_year=2030, cvc="123")
        self.run(self._try(self.commerce.orders.pay(self.orders[order_id], order_id, card)))

    @rule(order_id=placed, cancels=st.integers(1, 3), expiries=st.integers(0, 2))
    def cancel_and_expire(self, order_id: str, cancels: int, expiries: int) -> None:
        customer = self.orders[order_id]

        async def race() -> None:
            await asyncio.gather(
                *(
                    self._try(self.commerce.orders.cancel(customer, order_id))
                    for _ in range(cancels)
                ),
                *(self.commerce.orders.expire(order_id, LATER) for _ in range(expiries)),
            )

        self.run(race())

    @rule(order_id=placed)
    def expire(self, order_id: str) -> None:
        self.run(self.commerce.orders.expire(order_id, LATER))

    async def _try(self, step: Coroutine[Any, Any, Any]) -> None:
        try:
            await step
        except CommerceError:
            pass  # refusals (wrong state, declines) are legal outcomes

    @invariant()
    def wallet_is_exact(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        for customer in CUSTOMERS:
            balance = await assert_ledger_matches(self.redis, customer)
            assert all(amount >= 0 for amount in balance.values()), balance
            entries = await ledger(self.redis, customer)
            spent = -sum(e["amount"] for e in entries if e["source"] == "order")
            returned = sum(e["amount"] for e in entries if e["source"] == "refund")
            held, released = 0, 0
            for order_id, owner in self.orders.items():
                if owner != customer:
                    continue
                order = await self.commerce.orders.get(customer, order_id)
                used = order.credit_used.amount
                assert used + order.card_amount.amount == order.total.amount
                if order.status in ("pending_payment", "paid"):
                    held += used
                else:
                    released += used
            # Every order's credit was debited once, and returned once iff it was released.
            assert spent == held + released, (spent, held, released)
            assert returned == released, (returned, released)


def test_wallet_stays_exact(redis_server: EmbeddedRedis) -> None:
    """Balance = Σ ledger, never negative; each order's credit spent once and returned once."""
    WalletMachine.redis_url = redis_server.url
    run_state_machine_as_test(
        WalletMachine,
        settings=settings(
            max_examples=10,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
