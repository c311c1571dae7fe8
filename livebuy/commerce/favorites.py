"""A customer's favorite products."""

from __future__ import annotations

from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.clock import now_ms
from livebuy.commerce.models import Favorites
from livebuy.redis import keys

MAX_FAVORITES = 500


class FavoriteService:
    """Favorites as a sorted set per customer, oldest first."""

    def __init__(self, redis: Redis, catalog: CatalogStore) -> None:
        self._redis = redis
        self._catalog = catalog

    async def list(self, customer: str) -> Favorites:
        """The customer's favorites."""
        ids = await self._redis.zrange(keys.favorites(customer), 0, MAX_FAVORITES - 1)
        return Favorites(product_ids=[str(product_id) for product_id in ids])

    async def add(self, customer: str, product_id: str) -> Favorites:
        """Add a product (again is a no-op).

        Raises:
            ProductNotFoundError: unknown product.
        """
        await self._catalog.get_product(product_id)
        await self._redis.zadd(keys.favorites(customer), {product_id: now_ms()}, nx=True)
        await self._redis.zremrangebyrank(keys.favorites(customer), 0, -MAX_FAVORITES - 1)
        return await self.list(customer)

    async def remove(self, customer: str, product_id: str) -> Favorites:
        """Remove a product (not there is a no-op)."""
        await self._redis.zrem(keys.favorites(customer), product_id)
        return await self.list(customer)
