"""Loads products into Redis: product documents, the catalog index and initial inventory."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from catalog.models import Product
from livebuy.redis import keys
from livebuy.redis.scripts import register


async def load_catalog(redis: Redis, products: Sequence[Product]) -> None:
    """Write ``products`` to Redis; safe to repeat, e.g. on every start-up.

    Product documents and index positions are overwritten; a SKU's inventory is created only
    the first time, so a restart during a show keeps the stock already reserved or sold.
    Products missing from ``products`` but loaded earlier are left in place.
    """
    init_inventory = register(redis, "catalog", "inventory_init")
    # Not a MULTI: the keys live in different cluster slots, and every write is idempotent.
    async with redis.pipeline(transaction=False) as pipe:
        # Awaiting a command on a pipeline only queues it (and is what the typing expects).
        # Inventory is queued first so a product is never listed before its stock exists.
        for product in products:
            for variant in product.variants:
                await init_inventory(
                    keys=[keys.inventory(variant.sku)], args=[variant.stock], client=pipe
                )
        for position, product in enumerate(products):
            await pipe.set(keys.catalog_product(product.id), product.model_dump_json())
            await pipe.zadd(keys.catalog_index(), {product.id: position})
        await pipe.execute()
