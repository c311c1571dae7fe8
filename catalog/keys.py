"""The catalog's Redis keys.

``livebuy.redis.keys`` lists them with the rest of the keyspace; they live here so that ``catalog``
imports nothing from ``livebuy`` (which builds on the catalog, not the other way round).
"""

from __future__ import annotations

import zlib

PREFIX = "lb"
# SKUs' stock is spread over this many hash tags ``{stock:<bucket>}``; each bucket keeps its own
# set of changed products beside the counters, so a stock step is one slot on a cluster.
STOCK_BUCKETS = 16


def catalog_product(product_id: str) -> str:
    """JSON document of one product (without live stock)."""
    return f"{PREFIX}:catalog:product:{product_id}"


def catalog_index() -> str:
    """Sorted set of product ids, scored by catalog position (drives pagination)."""
    return f"{PREFIX}:catalog:products"


def stock_bucket(sku: str) -> int:
    """The bucket (hash tag) of a SKU's stock keys."""
    return zlib.crc32(sku.encode()) % STOCK_BUCKETS


def inventory(sku: str) -> str:
    """Hash of one SKU's stock counters: available, reserved, sold, initial, restocked."""
    return f"{PREFIX}:{{stock:{stock_bucket(sku):02x}}}:inventory:{sku}"
