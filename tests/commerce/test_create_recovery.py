"""A crash between an order's reserve and confirm steps neither oversells nor loses the units."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from livebuy.clock import now_ms
from livebuy.commerce.models import OrderRequest
from livebuy.commerce.order_scripts import SYNC_GRACE_MS
from livebuy.commerce.services import Commerce
from livebuy.commerce.sweeper import sync_once
from livebuy.errors import IdempotencyInProgressError
from livebuy.events.stream import ShowStream
from livebuy.faults import Faults
from livebuy.services import catalog_store
from tests.commerce.helpers import SKU, assert_invariant, stock
from tests.servers import settings_for_tests


class Crash(Exception):
    """Stands for the process dying at the fault point: nothing after it runs."""


def _crash() -> None:
    raise Crash


def _commerce(redis: Redis, faults: Faults) -> Commerce:
    return Commerce.build(
        redis, catalog_store(redis), ShowStream(redis, 1000), settings_for_tests(), faults=faults
    )


@pytest.fixture
async def crashing(laneless_redis: Redis) -> AsyncIterator[tuple[Commerce, Faults]]:
    """Commerce whose faults crash (raise) at an armed point, on a flushed Redis, creating
    orders step by step as on a cluster (a client without a lane): the window is there."""
    await load_catalog(laneless_redis, load_demo_catalog())
    faults = Faults(crash=_crash)
    yield _commerce(laneless_redis, faults), faults


async def test_one_script_on_a_single_redis_leaves_no_window(redis: Redis) -> None:
    """Through a single Redis's lane the order is made in one script: no point between its
    reserve and its confirm exists to crash at."""
    await load_catalog(redis, load_demo_catalog())
    faults = Faults(crash=_crash)
    faults.armed.add("create:after_reserve")
    commerce = _commerce(redis, faults)
    order, created = await commerce.orders.create("ann", "k1", OrderRequest(sku=SKU, quantity=2))
    assert created and order.status == "pending_payment"


async def test_crash_between_reserve_and_confirm_is_undone_by_the_sweep(
    crashing: tuple[Commerce, Faults], redis: Redis
) -> None:
    """Units reserved by a request that died before confirming stay out of sale until the sync
    sweep gives the order up; then they are back exactly once and the key makes a new order."""
    commerce, faults = crashing
    before = await assert_invariant(redis, SKU)
    request = OrderRequest(sku=SKU, quantity=2)
    faults.armed.add("create:after_reserve")
    with pytest.raises(Crash):
        await commerce.orders.create("ann", "k1", request)
    held = await assert_invariant(redis, SKU)
    assert held["available"] == before["available"] - 2 and held["reserved"] == 2
    assert (await commerce.orders.recent("ann")).items == []
    with pytest.raises(IdempotencyInProgressError):
        await commerce.orders.create("ann", "k1", request)
    later = now_ms() + SYNC_GRACE_MS + 1
    for _ in range(2):  # a second sweep (another process) changes nothing more
        await sync_once(commerce.orders, later)
        assert await assert_invariant(redis, SKU) == before
    order, created = await commerce.orders.create("ann", "k1", request)
    assert created and order.status == "pending_payment"
    assert (await stock(redis, SKU))["reserved"] == 2
