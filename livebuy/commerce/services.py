"""The commerce services of one process, built together and with their background tasks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.commerce.cart import CartService
from livebuy.commerce.coupons import CouponService
from livebuy.commerce.deals import DealBook
from livebuy.commerce.favorites import FavoriteService
from livebuy.commerce.inventory import InventoryService
from livebuy.commerce.orders import OrderPolicy, OrderService
from livebuy.commerce.payment import DemoGateway, PaymentGateway
from livebuy.commerce.skus import SkuDirectory
from livebuy.commerce.stock_push import StockPusher
from livebuy.commerce.sweeper import run_sweeper
from livebuy.settings import Settings
from livebuy.shows.stream import ShowStream


@dataclass
class Commerce:
    """Favorites, cart, inventory, coupons and orders on one Redis client."""

    settings: Settings
    favorites: FavoriteService
    cart: CartService
    inventory: InventoryService
    coupons: CouponService
    orders: OrderService
    pusher: StockPusher
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        redis: Redis,
        catalog: CatalogStore,
        stream: ShowStream,
        settings: Settings,
        gateway: PaymentGateway | None = None,
    ) -> Commerce:
        """Every commerce service; the demo payment gateway unless another is given."""
        skus = SkuDirectory(catalog)
        deals = DealBook(redis)
        inventory = InventoryService(redis, skus)
        policy = OrderPolicy(
            hold_ms=settings.reservation_hold_ms,
            payment_lock_ms=settings.payment_lock_ms,
            idempotency_ttl_ms=settings.idempotency_ttl_ms,
            max_line_quantity=settings.max_line_quantity,
        )
        return cls(
            settings=settings,
            favorites=FavoriteService(redis, catalog),
            cart=CartService(redis, skus, deals, inventory, settings.max_line_quantity),
            inventory=inventory,
            coupons=CouponService(redis),
            orders=OrderService(redis, skus, deals, gateway or DemoGateway(), policy),
            pusher=StockPusher(
                redis,
                catalog,
                stream,
                settings.stock_push_interval_ms,
                lease_ms=settings.player_lease_ms,
            ),
        )

    def start(self) -> None:
        """Start the reservation sweeper and (if enabled) the stock pusher."""
        self._tasks.append(
            asyncio.create_task(
                run_sweeper(self.orders, self.settings.sweeper_interval_ms), name="sweeper"
            )
        )
        if self.settings.push_stock:
            self._tasks.append(asyncio.create_task(self.pusher.run(), name="stock-pusher"))

    async def stop(self) -> None:
        """Stop the background tasks."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
