"""Read side of the catalog: products and their live stock, as loaded by ``catalog.loader``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from redis.asyncio import Redis

from catalog import keys
from catalog.errors import (
    CatalogRangeError,
    RangeErrorFactory,
    UnknownProductError,
    UnknownProductFactory,
)
from catalog.models import Product, ProductCard, VariantStock

_STOCK_FIELDS = ("available", "reserved", "sold")
# ZRANGE takes signed 64-bit positions; offset + limit must stay inside them.
MAX_POSITION = 2**62


class CatalogStore:
    """Reads products and product cards from Redis (a client with ``decode_responses=True``).

    ``unknown_product`` builds what is raised for an id that is not loaded and ``bad_range`` what is
    raised for an impossible page: an application passes the errors of its own error tree, so the
    catalog need not know them.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        unknown_product: UnknownProductFactory = UnknownProductError,
        bad_range: RangeErrorFactory = CatalogRangeError,
    ) -> None:
        self._redis = redis
        self._unknown_product = unknown_product
        self._bad_range = bad_range

    async def get_product(self, product_id: str) -> Product:
        """The product, without stock; raises ``unknown_product`` if it is not loaded."""
        raw: str | bytes | None = await self._redis.get(keys.catalog_product(product_id))
        if raw is None:
            raise self._not_found(product_id)
        return Product.model_validate_json(raw)

    async def get_card(self, product_id: str) -> ProductCard:
        """The product with its live stock; raises ``unknown_product`` if it is not loaded."""
        (card,) = await self.get_cards([product_id])
        return card

    async def get_cards(self, product_ids: Sequence[str]) -> list[ProductCard]:
        """Cards in the order asked: one round trip for the products, one for all their stock.

        Raises ``unknown_product`` naming the first id that is not loaded.
        """
        if not product_ids:
            return []
        # GETs in one pipeline, not MGET: products are in many slots, and a Redis Cluster
        # refuses an MGET across slots (its client splits a pipeline by node instead).
        async with self._redis.pipeline(transaction=False) as pipe:
            for product_id in product_ids:
                await pipe.get(keys.catalog_product(product_id))
            raws: list[str | bytes | None] = await pipe.execute()
        products: list[Product] = []
        for product_id, raw in zip(product_ids, raws, strict=True):
            if raw is None:
                raise self._not_found(product_id)
            products.append(Product.model_validate_json(raw))
        return await self._with_stock(products)

    async def list_cards(self, offset: int, limit: int) -> tuple[list[ProductCard], int]:
        """Up to ``limit`` cards from catalog position ``offset`` on, and the catalog's size.

        Raises:
            bad_range: a negative offset, a limit below 1, or either beyond ``MAX_POSITION``.
        """
        if not 0 <= offset <= MAX_POSITION or not 1 <= limit <= MAX_POSITION:
            raise self._bad_range(
                f"need 0 <= offset <= {MAX_POSITION} and 1 <= limit <= {MAX_POSITION},"
                f" got offset={offset} limit={limit}"
            )
        index = keys.catalog_index()
        async with self._redis.pipeline(transaction=False) as pipe:
            await pipe.zrange(index, offset, offset + limit - 1)
            await pipe.zcard(index)
            page_ids, total = await pipe.execute()
        return await self.get_cards(page_ids), int(total)

    async def product_ids(self) -> set[str]:
        """Ids of every loaded product."""
        # decode_responses=True and no scores: the reply is a plain list of str.
        ids = cast(list[str], await self._redis.zrange(keys.catalog_index(), 0, -1))
        return set(ids)

    def _not_found(self, product_id: str) -> Exception:
        return self._unknown_product(f"unknown product {product_id!r}", product_id=product_id)

    async def _with_stock(self, products: Sequence[Product]) -> list[ProductCard]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for product in products:
                for variant in product.variants:
                    await pipe.hmget(keys.inventory(variant.sku), _STOCK_FIELDS)
            rows: list[list[str | None]] = await pipe.execute()
        cards: list[ProductCard] = []
        position = 0
        for product in products:
            stock: list[VariantStock] = []
            for variant in product.variants:
                # A SKU without an inventory hash has nothing to sell; report zeros, not an error.
                available, reserved, sold = (int(value or 0) for value in rows[position])
                stock.append(
                    VariantStock(sku=variant.sku, available=available, reserved=reserved, sold=sold)
                )
                position += 1
            cards.append(ProductCard.build(product, stock))
        return cards
