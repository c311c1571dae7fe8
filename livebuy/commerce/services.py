"""The commerce services of one process, built together and with their background loops."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.background import ElectedLoop
from livebuy.commerce.cart import CartService
from livebuy.commerce.coupons import CouponService
from livebuy.commerce.deals import DealBook
from livebuy.commerce.favorites import FavoriteService
from livebuy.commerce.inventory import InventoryService
from livebuy.commerce.orders import OrderPolicy, OrderService
from livebuy.commerce.outbox import OutboxPolicy, PaymentOutbox
from livebuy.commerce.payment import DemoGateway, PaymentGateway
from livebuy.commerce.payments_worker import payments_loop
from livebuy.commerce.show_watch import Follow, ShowWatch
from livebuy.commerce.skus import SkuDirectory
from livebuy.commerce.sold_out import SoldOutGate
from livebuy.commerce.stock_push import StockPusher
from livebuy.commerce.sweeper import sweeper_loop
from livebuy.events.stream import ShowStream
from livebuy.faults import Faults
from livebuy.settings import Settings


@dataclass
class Commerce:
    """Favorites, cart, inventory, coupons and orders on one Redis client."""

    settings: Settings
    favorites: FavoriteService
    cart: CartService
    inventory: InventoryService
    coupons: CouponService
    orders: OrderService
    watch: ShowWatch
    pusher: StockPusher
    payments_worker: ElectedLoop

    @classmethod
    def build(
        cls,
        redis: Redis,
        catalog: CatalogStore,
        stream: ShowStream,
        settings: Settings,
        gateway: PaymentGateway | None = None,
        faults: Faults | None = None,
        follow: Follow | None = None,
    ) -> Commerce:
        """Every commerce service; the demo payment gateway unless another is given.

        ``faults`` defaults to the (test-only) ``fault_points`` of the settings: none.
        ``follow`` starts reading a show's stream in this process (the gateway's hubs); with it,
        orders keep deals in memory and the sold-out gate refuses (see ``show_watch``).
        """
        skus = SkuDirectory(catalog)
        deals = DealBook(redis)
        watch = ShowWatch(deals, SoldOutGate(settings.commerce.sold_out_gate_ms), follow)
        inventory = InventoryService(redis, skus)
        policy = OrderPolicy(
            hold_ms=settings.commerce.reservation_hold_ms,
            payment_lock_ms=settings.commerce.payment_lock_ms,
            idempotency_ttl_ms=settings.commerce.idempotency_ttl_ms,
            max_line_quantity=settings.commerce.max_line_quantity,
            credit_return_grace_ms=settings.wallet.wallet_return_grace_ms,
            wait_replicas=settings.redis.redis_wait_replicas,
            wait_timeout_ms=settings.redis.redis_wait_timeout_ms,
        )
        gateway = gateway or DemoGateway(redis)
        faults = faults or Faults(settings.server.fault_points)
        outbox = PaymentOutbox(
            redis,
            gateway,
            OutboxPolicy(
                payment_lock_ms=settings.commerce.payment_lock_ms,
                reconcile_grace_ms=settings.payments.reconcile_grace_ms,
                retry_base_ms=settings.payments.refund_retry_base_ms,
                retry_max_ms=settings.payments.refund_retry_max_ms,
            ),
            faults,
        )
        return cls(
            settings=settings,
            favorites=FavoriteService(redis, catalog),
            cart=CartService(redis, skus, deals, inventory, settings.commerce.max_line_quantity),
            inventory=inventory,
            coupons=CouponService(redis),
            orders=OrderService(redis, skus, watch, gateway, policy, outbox, faults),
            watch=watch,
            pusher=StockPusher(
                redis,
                catalog,
                stream,
                settings.commerce.stock_push_interval_ms,
                lease_ms=settings.shows.player_lease_ms,
            ),
            payments_worker=payments_loop(
                redis,
                outbox,
                tick_ms=settings.payments.payments_tick_ms,
                lease_ms=settings.payments.payments_lease_ms,
            ),
        )

    def loops(self) -> list[ElectedLoop]:
        """The reservation sweeper and (if enabled) the stock pusher and payments worker."""
        loops = [sweeper_loop(self.orders, self.settings.commerce.sweeper_interval_ms)]
        if self.settings.commerce.push_stock:
            loops.append(self.pusher.loop)
        if self.settings.payments.payments_worker:
            loops.append(self.payments_worker)
        return loops
