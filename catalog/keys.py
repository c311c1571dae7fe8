"""The catalog's Redis keys.

``livebuy.redis.keys`` lists them with the rest of the keyspace; they live here so that ``catalog``
imports nothing from ``livebuy`` (which builds on the catalog, not the other way round).
"""

from __future__ import annotations

PREFIX = "lb"


def catalog_product(product_id: str) -> str:
    """JSON document of one product (without live stock)."""
    return f"{PREFIX}:catalog:product:{product_id}"


def catalog_index() -> str:
    """Sorted set of product ids, scored by catalog position (drives pagination)."""
    return f"{PREFIX}:catalog:products"


def inventory(sku: str) -> str:
    """Hash of one SKU's stock counters: available, reserved, sold, initial, restocked."""
    return f"{PREFIX}:inventory:{sku}"
