"""Loads products into Redis: product documents, the catalog index and initial inventory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache
from importlib import resources

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from catalog import keys
from catalog.models import Product


async def load_catalog(redis: Redis, products: Sequence[Product]) -> None:
    """Write ``products`` to Redis; safe to repeat, e.g. on every start-up.

    Product documents and index positions are overwritten; a SKU's inventory is created only
    the first time, so a restart during a show keeps the stock already reserved or sold.
    Products missing from ``products`` but loaded earlier are left in place.
    """
    init_inventory = _inventory_init(redis)
    # Inventory first, so a product is never listed before its stock exists. The script calls
    # are concurrent, not pipelined: redis-py's cluster pipeline refuses EVALSHA.
    await asyncio.gather(
        *(
            init_inventory(keys=[keys.inventory(variant.sku)], args=[variant.stock])
            for product in products
            for variant in product.variants
        )
    )
    # Not a MULTI: the keys live in different cluster slots, and every write is idempotent.
    async with redis.pipeline(transaction=False) as pipe:
        # Awaiting a command on a pipeline only queues it (and is what the typing expects).
        for position, product in enumerate(products):
            await pipe.set(keys.catalog_product(product.id), product.model_dump_json())
            await pipe.zadd(keys.catalog_index(), {product.id: position})
        await pipe.execute()


@cache
def _inventory_init_source() -> str:
    return resources.files("catalog").joinpath("inventory_init.lua").read_text(encoding="utf-8")


def _inventory_init(redis: Redis) -> AsyncScript:
    # redis-py sends EVALSHA and reloads the source after NOSCRIPT.
    return redis.register_script(_inventory_init_source())
