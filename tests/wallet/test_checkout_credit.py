"""Checkout spends store credit in the reservation's Lua step and gives it back exactly once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from livebuy.clock import now_ms
from livebuy.commerce.models import Order, OrderRequest, PaymentRequest
from livebuy.commerce.services import Commerce
from livebuy.commerce.sweeper import sweep_once
from livebuy.errors import OrderStateError
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.services import catalog_store
from livebuy.wallet.service import WalletService
from tests.commerce.helpers import CARD_OK, gateway_log
from tests.servers import settings_for_tests
from tests.wallet.helpers import DAY_MS, assert_ledger_matches, ledger, wallet_service

SKU = "STW-CRT-WHT-40"  # 220 units in the demo catalog
LATER = 2**42
CARD = PaymentRequest(card_number=CARD_OK, expiry_month=12, expiry_year=2030, cvc="123")


@dataclass
class Shop:
    """The commerce services and the wallet on the test Redis, with the demo catalog."""

    commerce: Commerce
    wallet: WalletService
    keys: itertools.count[int]

    async def buy(self, customer: str, use_credit: bool = True, quantity: int = 1) -> Order:
        request = OrderRequest(sku=SKU, quantity=quantity, use_credit=use_credit)
        order, _ = await self.commerce.orders.create(customer, f"k{next(self.keys)}", request)
        return order


@pytest.fixture
async def shop(redis: Redis) -> AsyncIterator[Shop]:
    """A shop on a freshly flushed Redis."""
    await load_catalog(redis, load_demo_catalog())
    settings = settings_for_tests(wallet_return_grace_ms=DAY_MS)
    commerce = Commerce.build(redis, catalog_store(redis), ShowStream(redis, 1000), settings)
    yield Shop(commerce, wallet_service(redis), itertools.count())


async def test_credit_pays_part_and_cancel_returns_it_once(shop: Shop, redis: Redis) -> None:
    """Credit pays part of the order in the create step; a cancel (twice) returns it once."""
    await shop.wallet.credit("ann", "EUR", 1000, "red_packet", "r1:0")
    order = await shop.buy("ann")
    assert order.credit_used.amount == 1000
    assert order.card_amount.amount == order.total.amount - 1000
    assert await shop.wallet.balance("ann", "EUR") == 0
    await shop.commerce.orders.cancel("ann", order.id)
    with pytest.raises(OrderStateError):
        await shop.commerce.orders.cancel("ann", order.id)
    assert await shop.wallet.balance("ann", "EUR") == 1000
    sources = [(e["source"], e["amount"]) for e in await ledger(redis, "ann")]
    assert sources == [("red_packet", 1000), ("order", -1000), ("refund", 1000)]
    await assert_ledger_matches(redis, "ann")


async def test_soonest_expiring_credit_is_spent_first_never_expired(shop: Shop) -> None:
    """Lots are spent soonest expiry first; an expired lot is never spent."""
    now = now_ms()
    await shop.wallet.credit("ann", "EUR", 100, "quiz", "gone", expires_at_ms=now + 5)
    await shop.wallet.credit("ann", "EUR", 200, "quiz", "late", expires_at_ms=now + 9 * DAY_MS)
    await shop.wallet.credit("ann", "EUR", 300, "quiz", "soon", expires_at_ms=now + 2 * DAY_MS)
    await shop.wallet.credit("ann", "USD", 999, "quiz", "usd")
    await asyncio.sleep(0.01)  # the first lot's expiry is a point in time, not an event
    order = await shop.buy("ann")
    assert order.credit_used.amount == 500
    view = await shop.wallet.wallet("ann")
    assert [(lot.currency, lot.amount) for lot in view.lots] == [("USD", 999)]
    expiries = [(e.ref, e.amount) for e in view.ledger if e.source == "expiry"]
    assert expiries == [("c:quiz:gone", -100)]


async def test_fully_credit_paid_order_is_paid_without_a_card_charge(
    shop: Shop, redis: Redis
) -> None:
    """Credit covering the total: pay sells the order with no charge; cancelling returns it all."""
    await shop.wallet.credit("ann", "EUR", 10_000_000, "giveaway", "big")
    order = await shop.buy("ann")
    assert order.card_amount.amount == 0 and order.credit_used == order.total
    paid = await shop.commerce.orders.pay("ann", order.id, CARD)
    assert paid.status == "paid" and paid.payment_id == "wallet"
    assert await gateway_log(redis) == []
    cancelled = await shop.commerce.orders.cancel("ann", order.id)
    assert cancelled.refund_status == "refunded"
    assert await shop.wallet.balance("ann", "EUR") == 10_000_000
    assert not await redis.zcard(keys.refunds_due(keys.order_bucket(order.id)))


async def test_paid_order_refund_returns_credit_and_refunds_only_the_card(
    shop: Shop, redis: Redis
) -> None:
    """Cancelling a paid part-credit order returns the credit and refunds the card's part."""
    await shop.wallet.credit("ann", "EUR", 700, "giveaway", "g")
    order = await shop.buy("ann")
    await shop.commerce.orders.pay("ann", order.id, CARD)
    cancelled = await shop.commerce.orders.cancel("ann", order.id)
    assert cancelled.refund_status == "refunded"
    moves = [(e["kind"], e["amount"]) for e in await gateway_log(redis)]
    assert moves == [("charge", order.card_amount.amount), ("refund", order.card_amount.amount)]
    assert await shop.wallet.balance("ann", "EUR") == 700


async def test_sweeper_expiry_returns_credit_once(shop: Shop, redis: Redis) -> None:
    """Racing sweepers expiring an unpaid order return its credit exactly once."""
    await shop.wallet.credit("ann", "EUR", 400, "quiz", "q")
    await shop.buy("ann")
    await asyncio.gather(*(sweep_once(shop.commerce.orders, LATER) for _ in range(5)))
    assert await shop.wallet.balance("ann", "EUR") == 400
    refunds = [e for e in await ledger(redis, "ann") if e["source"] == "refund"]
    assert len(refunds) == 1
    await assert_ledger_matches(redis, "ann")


async def test_without_use_credit_the_wallet_is_untouched(shop: Shop) -> None:
    """An order that does not ask for credit leaves the wallet alone."""
    await shop.wallet.credit("ann", "EUR", 400, "quiz", "q")
    order = await shop.buy("ann", use_credit=False)
    assert order.credit_used.amount == 0 and order.card_amount == order.total
    assert await shop.wallet.balance("ann", "EUR") == 400


async def test_concurrent_orders_never_spend_more_than_the_balance(
    shop: Shop, redis: Redis
) -> None:
    """60 concurrent orders of one session with 25,000 credit spend exactly 25,000, no more."""
    await shop.wallet.credit("ann", "EUR", 20_000, "red_packet", "a")
    await shop.wallet.credit("ann", "EUR", 5_000, "quiz", "b")
    orders = await asyncio.gather(*(shop.buy("ann") for _ in range(60)))
    spent = sum(order.credit_used.amount for order in orders)
    assert spent == 25_000
    assert all(o.credit_used.amount + o.card_amount.amount == o.total.amount for o in orders)
    assert await shop.wallet.balance("ann", "EUR") == 0
    await asyncio.gather(*(shop.commerce.orders.cancel("ann", o.id) for o in orders))
    assert await shop.wallet.balance("ann", "EUR") == 25_000
    await assert_ledger_matches(redis, "ann")
