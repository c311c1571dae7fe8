"""Which commerce scripts keep every key in one Redis Cluster slot, checked on a single Redis."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import AsyncIterator, Iterator, Sequence
from importlib import resources
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.crc import key_slot

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from livebuy.clock import now_ms
from livebuy.commerce.models import Coupon, OrderRequest, PaymentRequest
from livebuy.commerce.order_holds import HOLD_LIB
from livebuy.commerce.services import Commerce
from livebuy.commerce.sweeper import sweep_once
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.redis.lane import Lane
from livebuy.services import catalog_store
from livebuy.wallet.scripts import WALLET_LIB
from livebuy.wallet.service import WalletService
from tests.commerce.helpers import CARD_OK
from tests.servers import settings_for_tests
from tests.wallet.helpers import DAY_MS, wallet_service

SHOW = "slot-show"
SKUS = ("STW-CRT-WHT-40", "STW-CRT-WHT-41", "STW-CRT-WHT-42")
CARD = PaymentRequest(card_number=CARD_OK, expiry_month=12, expiry_year=2030, cvc="123")
# Every commerce and wallet script this order's life runs (the cluster helper's guard relies on it).
SINGLE_SLOT = {
    "order_open",
    "stock_hold",
    "deal_hold",
    "coupon_hold",
    "order_confirm",
    "order_sync",
    "sales_count",
    "order_pay:begin",
    "order_pay:fail",
    "order_pay:commit",
    "order_release",
    "order_refund",
    "inventory_restock",
    "wallet_credit",
    "wallet_settle",
    "payment_charge",
    "payment_refund",
}


def _script_names() -> dict[str, str]:
    """sha1 of every commerce and wallet script's source (also with a prelude: the wallet's, the
    holds') -> name."""
    preludes = [
        resources.files(package).joinpath(f"{name}.lua").read_text("utf-8")
        for package, name in (WALLET_LIB, HOLD_LIB)
    ]
    names: dict[str, str] = {}
    for package in ("livebuy.commerce", "livebuy.wallet"):
        for entry in resources.files(package).iterdir():
            if entry.name.endswith(".lua"):
                source = entry.read_text("utf-8")
                for text in (source, *(prelude + source for prelude in preludes)):
                    names[hashlib.sha1(text.encode()).hexdigest()] = entry.name[:-4]
    return names


@pytest.fixture
def script_calls() -> Iterator[list[tuple[str, list[str]]]]:
    """Every script call made meanwhile, as (name[:action], keys), recorded on its way to Redis."""
    calls: list[tuple[str, list[str]]] = []
    names = _script_names()
    original = AsyncScript.__call__

    async def recorded(
        self: AsyncScript, keys: Any = None, args: Any = None, client: Any = None
    ) -> Any:
        name = names.get(self.sha, self.sha)
        if name == "order_pay":
            name = f"{name}:{args[0]}"
        calls.append((name, [str(key) for key in keys or []]))
        return await original(self, keys=keys, args=args, client=client)

    def queued(self: Pipeline, *args: Any, **options: Any) -> Any:
        # Holds sent together (``run_together``) are EVALSHA commands queued on a pipeline.
        if str(args[0]).upper() == "EVALSHA":
            count = int(args[2])
            calls.append((names.get(args[1], args[1]), [str(key) for key in args[3 : 3 + count]]))
        return queue(self, *args, **options)

    def note(args: tuple[Any, ...]) -> None:
        # A single Redis's client sends every script call through its lane.
        if str(args[0]).upper() == "EVALSHA":
            name = names.get(str(args[1]), str(args[1]))
            if name == "order_pay":
                name = f"{name}:{args[3 + int(args[2])]}"
            calls.append((name, [str(key) for key in args[3 : 3 + int(args[2])]]))

    async def sent(self: Lane, *args: Any) -> Any:
        note(args)
        return await lane_execute(self, *args)

    async def sent_together(self: Lane, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        for command in commands:
            note(command)
        return await lane_execute_many(self, commands)

    queue = Pipeline.execute_command
    lane_execute = Lane.execute
    lane_execute_many = Lane.execute_many
    AsyncScript.__call__ = recorded  # type: ignore[method-assign]
    Pipeline.execute_command = queued  # type: ignore[method-assign]
    Lane.execute = sent  # type: ignore[method-assign]
    Lane.execute_many = sent_together  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        AsyncScript.__call__ = original  # type: ignore[method-assign]
        Pipeline.execute_command = queue  # type: ignore[method-assign]
        Lane.execute = lane_execute  # type: ignore[method-assign]
        Lane.execute_many = lane_execute_many  # type: ignore[method-assign]


@pytest.fixture
async def shop(laneless_redis: Redis) -> AsyncIterator[tuple[Commerce, WalletService]]:
    """The commerce services and the wallet on a flushed Redis with the demo catalog, taking
    the per-slot steps a cluster takes (a client without a lane)."""
    redis = laneless_redis
    await load_catalog(redis, load_demo_catalog())
    settings = settings_for_tests(wallet_return_grace_ms=DAY_MS)
    commerce = Commerce.build(redis, catalog_store(redis), ShowStream(redis, 1000), settings)
    yield commerce, wallet_service(redis)


def _slots(keys: list[str]) -> set[int]:
    return {key_slot(key.encode()) for key in keys if key}


async def test_every_step_of_an_order_is_single_slot_where_promised(
    shop: tuple[Commerce, WalletService],
    script_calls: list[tuple[str, list[str]]],
    redis: Redis,
) -> None:
    """Create (a cart over three stock buckets, coupon, credit), pay, cancel, refund, decline,
    expire, restock, credit: every script call's keys are in one slot."""
    commerce, wallet = shop
    count = itertools.count()
    await wallet.credit("ann", "EUR", 500, "red_packet", "r1:0")
    await wallet.balance("ann", "EUR")
    await commerce.coupons.save(Coupon(code="TEN", kind="percent", value=10, starts_at=0))
    for sku in SKUS:
        await commerce.cart.put("ann", sku, 1)
    await redis.sadd(keys.shows_index(), SHOW)
    request = OrderRequest(from_cart=True, coupon="TEN", use_credit=True, show_id=SHOW)
    cart_order, _ = await commerce.orders.create("ann", f"k{next(count)}", request)
    await commerce.orders.pay("ann", cart_order.id, CARD)
    await commerce.orders.cancel("ann", cart_order.id)
    declined = PaymentRequest(
        card_number="4000000000000002", expiry_month=12, expiry_year=2030, cvc="123"
    )
    one, _ = await commerce.orders.create("bob", "k-one", OrderRequest(sku=SKUS[0], quantity=1))
    with pytest.raises(Exception, match="declined"):
        await commerce.orders.pay("bob", one.id, declined)
    assert await sweep_once(commerce.orders, now_ms() + 10 * DAY_MS) == 1
    await commerce.inventory.restock(SKUS[1], 5)
    seen = {name for name, _ in script_calls}
    assert seen - {"deal_hold"} == SINGLE_SLOT - {"deal_hold"}, seen
    for name, touched in script_calls:
        assert len(_slots(touched)) == 1, (name, touched)
