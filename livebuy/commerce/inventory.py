"""Stock counters of SKUs: read them, and restock (the other changes happen inside orders)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from livebuy.commerce.models import StockLevel
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import InvalidInputError, SkuNotFoundError
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript


@dataclass(frozen=True)
class RestockKeys:
    """KEYS of ``inventory_restock.lua``."""

    inventory: str
    dirty: str


@dataclass(frozen=True)
class RestockArgs:
    """ARGV of ``inventory_restock.lua``."""

    units: int
    product_id: str


INVENTORY_RESTOCK = LuaScript("livebuy.commerce", "inventory_restock", RestockKeys, RestockArgs)

_FIELDS = ("available", "reserved", "sold", "initial", "restocked")


class InventoryService:
    """Reads SKU stock and adds units; every change is one Lua step."""

    def __init__(self, redis: Redis, skus: SkuDirectory) -> None:
        self._redis = redis
        self._skus = skus
        self._restock = INVENTORY_RESTOCK.bind(redis)

    async def level(self, sku: str) -> StockLevel:
        """The SKU's counters.

        Raises:
            SkuNotFoundError: the SKU has no stock counters.
        """
        values = await self._redis.hmget(keys.inventory(sku), _FIELDS)
        if values[0] is None:
            raise SkuNotFoundError(f"unknown sku '{sku}'", sku=sku)
        return StockLevel(sku=sku, **{f: int(v or 0) for f, v in zip(_FIELDS, values, strict=True)})

    async def restock(self, sku: str, units: int) -> StockLevel:
        """Add ``units`` to the SKU's available (and restocked) units.

        Raises:
            InvalidInputError: ``units`` is not positive.
            SkuNotFoundError: unknown SKU.
        """
        if units <= 0:
            raise InvalidInputError("restock takes a positive number of units", field="units")
        info = await self._skus.get(sku)
        result = await self._restock(
            RestockKeys(
                inventory=keys.inventory(sku), dirty=keys.stock_dirty(keys.stock_bucket(sku))
            ),
            RestockArgs(units=units, product_id=info.product_id),
        )
        if int(result) < 0:
            raise SkuNotFoundError(f"sku '{sku}' has no stock counters", sku=sku)
        return await self.level(sku)
