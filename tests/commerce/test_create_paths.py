"""An order made in one script (a single Redis's lane) or step by step (as on a cluster) answers
and refuses alike: the same line named, no trace of a refusal, the key free for a retry."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.keys import stock_bucket
from catalog.loader import load_catalog
from livebuy.commerce.models import Coupon, OrderRequest
from livebuy.commerce.services import Commerce
from livebuy.errors import CouponRejectedError, OutOfStockError
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.services import catalog_store
from tests.commerce.helpers import assert_invariant
from tests.servers import settings_for_tests

# Three SKUs in three stock buckets: a cart of them is three stock steps.
SKUS = ("STW-CRT-WHT-40", "STW-CRT-WHT-41", "STW-CRT-WHT-42")


@pytest.fixture(params=["one script", "step by step"])
def client(request: pytest.FixtureRequest, redis: Redis, laneless_redis: Redis) -> Redis:
    """The suite's client (it has a lane: one script), or one on the same database without a
    lane (each step its own call, as on a cluster)."""
    return redis if request.param == "one script" else laneless_redis


async def _shop(client: Redis) -> Commerce:
    await load_catalog(client, load_demo_catalog())
    return Commerce.build(
        client, catalog_store(client), ShowStream(client, 1000), settings_for_tests()
    )


async def _sold_out(redis: Redis, sku: str) -> None:
    """No unit of ``sku`` left, the counters' sum kept (as if the rest had been written off)."""
    level = await assert_invariant(redis, sku)
    await redis.hset(
        keys.inventory(sku),
        mapping={"available": 0, "initial": level["initial"] - level["available"]},
    )


@pytest.mark.parametrize("empty", SKUS)
async def test_a_refused_stock_line_is_named_and_leaves_no_trace(
    empty: str, client: Redis, redis: Redis
) -> None:
    """A cart over three stock buckets with one SKU sold out: the refusal names that SKU's line
    in the order, every other bucket's units come back, and the same key orders once restocked."""
    assert len({stock_bucket(sku) for sku in SKUS}) == 3
    commerce = await _shop(client)
    for sku in SKUS:
        await commerce.cart.put("ann", sku, 1)
    await _sold_out(redis, empty)
    before = {sku: await assert_invariant(redis, sku) for sku in SKUS}
    with pytest.raises(OutOfStockError) as refused:
        await commerce.orders.create("ann", "k1", OrderRequest(from_cart=True))
    # A cart's lines are its SKUs in order.
    assert refused.value.details["line"] == sorted(SKUS).index(empty)
    assert refused.value.details["sku"] == empty
    assert {sku: await assert_invariant(redis, sku) for sku in SKUS} == before
    assert (await commerce.orders.recent("ann")).items == []
    assert not await redis.exists(keys.order_idempotency("ann", "k1"))
    await commerce.inventory.restock(empty, 1)
    order, created = await commerce.orders.create("ann", "k1", OrderRequest(from_cart=True))
    assert created and [line.sku for line in order.lines] == sorted(SKUS)
    for sku in SKUS:
        assert (await assert_invariant(redis, sku))["reserved"] == 1


async def test_a_coupon_refused_after_the_stock_gives_the_stock_back(
    client: Redis, redis: Redis
) -> None:
    """The coupon is the last hold: refused, the stock taken before it comes back; a coupon that
    applies prices the order as the step-by-step path does."""
    commerce = await _shop(client)
    await commerce.coupons.save(
        Coupon(code="BIG", kind="amount", value=500, currency="EUR", min_spend=10**9)
    )
    await commerce.coupons.save(Coupon(code="TEN", kind="percent", value=10))
    before = await assert_invariant(redis, SKUS[0])
    with pytest.raises(CouponRejectedError):
        await commerce.orders.create("ann", "k1", OrderRequest(sku=SKUS[0], coupon="BIG"))
    assert await assert_invariant(redis, SKUS[0]) == before
    order, _ = await commerce.orders.create(
        "ann", "k1", OrderRequest(sku=SKUS[0], quantity=2, coupon="TEN")
    )
    assert order.discount.amount == order.subtotal.amount // 10
    assert order.total.amount == order.subtotal.amount - order.discount.amount
    assert (await assert_invariant(redis, SKUS[0]))["reserved"] == 2
