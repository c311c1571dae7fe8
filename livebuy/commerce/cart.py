"""A customer's cart: SKUs and quantities in Redis, priced as they are now when read."""

from __future__ import annotations

from typing import cast

from redis.asyncio import Redis

from catalog.models import Money
from livebuy.clock import now_ms
from livebuy.commerce.deals import DealBook
from livebuy.commerce.inventory import InventoryService
from livebuy.commerce.models import Cart, CartLine
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import InvalidInputError
from livebuy.redis import keys

MAX_CART_LINES = 50


class CartService:
    """Cart lines are sku -> quantity; prices and deals are looked up on every read."""

    def __init__(
        self,
        redis: Redis,
        skus: SkuDirectory,
        deals: DealBook,
        inventory: InventoryService,
        max_line_quantity: int,
    ) -> None:
        self._redis = redis
        self._skus = skus
        self._deals = deals
        self._inventory = inventory
        self._max_line_quantity = max_line_quantity

    async def get(self, customer: str) -> Cart:
        """The cart with current prices: the deal price while a deal for the product runs."""
        raw = cast(dict[str, str], await self._redis.hgetall(keys.cart(customer)))
        deals = {deal.product_id: deal for deal in await self._deals.running(now_ms())}
        items: list[CartLine] = []
        for sku, quantity in sorted(raw.items()):
            info = await self._skus.get(sku)
            deal = deals.get(info.product_id)
            price = info.price
            if deal is not None and deal.deal_price.currency == price.currency:
                price = deal.deal_price
            else:
                deal = None
            items.append(
                CartLine(
                    sku=sku,
                    product_id=info.product_id,
                    name=info.name,
                    quantity=int(quantity),
                    unit_price=price,
                    regular_price=info.price,
                    available=(await self._inventory.level(sku)).available,
                    show_id=deal.show_id if deal else None,
                    deal_id=deal.deal_id if deal else None,
                )
            )
        total = None
        if items and len({item.unit_price.currency for item in items}) == 1:
            total = Money(
                amount=sum(item.unit_price.amount * item.quantity for item in items),
                currency=items[0].unit_price.currency,
            )
        return Cart(items=items, total=total)

    async def put(self, customer: str, sku: str, quantity: int) -> Cart:
        """Set a line's quantity.

        Raises:
            SkuNotFoundError: unknown SKU.
            InvalidInputError: quantity over the per-line limit, or a full cart.
        """
        await self._skus.get(sku)
        if quantity > self._max_line_quantity:
            raise InvalidInputError(
                f"at most {self._max_line_quantity} per line", field="quantity", sku=sku
            )
        cart_key = keys.cart(customer)
        if not await self._redis.hexists(cart_key, sku) and (
            await self._redis.hlen(cart_key) >= MAX_CART_LINES
        ):
            raise InvalidInputError(f"a cart holds at most {MAX_CART_LINES} lines", sku=sku)
        await self._redis.hset(cart_key, sku, quantity)
        return await self.get(customer)

    async def remove(self, customer: str, sku: str) -> Cart:
        """Remove a line (not there is a no-op)."""
        await self._redis.hdel(keys.cart(customer), sku)
        return await self.get(customer)
