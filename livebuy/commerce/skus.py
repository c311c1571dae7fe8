"""Which product a SKU belongs to and what it costs, from the catalog, cached in the process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from catalog.models import Money, Product
from catalog.store import CatalogStore
from livebuy.clock import now_ms
from livebuy.errors import SkuNotFoundError

# An unknown SKU reloads the catalog at most this often, so junk SKUs cannot hammer Redis.
RELOAD_AFTER_MS = 1000


@dataclass(frozen=True)
class SkuInfo:
    """A sellable SKU: its product and its regular price."""

    sku: str
    product_id: str
    name: str
    price: Money


def _index(products: list[Product]) -> dict[str, SkuInfo]:
    index: dict[str, SkuInfo] = {}
    for product in products:
        for variant in product.variants:
            label = " / ".join(part for part in (variant.size, variant.color) if part)
            index[variant.sku] = SkuInfo(
                sku=variant.sku,
                product_id=product.id,
                name=f"{product.name} ({label})" if label else product.name,
                price=variant.price or product.price,
            )
    return index


class SkuDirectory:
    """Looks SKUs up in the loaded catalog; products are immutable while a show runs."""

    def __init__(self, catalog: CatalogStore) -> None:
        self._catalog = catalog
        self._index: dict[str, SkuInfo] = {}
        self._loaded_at = -RELOAD_AFTER_MS
        self._lock = asyncio.Lock()

    async def get(self, sku: str) -> SkuInfo:
        """The SKU's product and price.

        Raises:
            SkuNotFoundError: no loaded product has this SKU.
        """
        info = self._index.get(sku)
        if info is None and now_ms() - self._loaded_at >= RELOAD_AFTER_MS:
            await self._reload()
            info = self._index.get(sku)
        if info is None:
            raise SkuNotFoundError(f"unknown sku '{sku}'", sku=sku)
        return info

    async def product_skus(self, product_id: str) -> list[str]:
        """The SKUs of a product (empty if unknown)."""
        if not self._index:
            await self._reload()
        return [info.sku for info in self._index.values() if info.product_id == product_id]

    async def _reload(self) -> None:
        started = now_ms()
        async with self._lock:
            # Requests that queued behind a reload use its result instead of reloading again.
            if self._loaded_at >= started:
                return
            ids = sorted(await self._catalog.product_ids())
            # Two round trips for the whole catalog (cards carry stock too; it is not used).
            cards = await self._catalog.get_cards(ids)
            self._index = _index(list(cards))
            self._loaded_at = now_ms()
