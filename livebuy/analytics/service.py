"""Reads a show's live figures from Redis: the same answer whichever process is asked."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from redis.asyncio import Redis

from catalog.models import Money
from catalog.store import CatalogStore
from livebuy.analytics.models import (
    DealUnits,
    MinutePoint,
    ProductSales,
    SalesTotals,
    ShowAnalytics,
)
from livebuy.commerce.deals import RunningDeal
from livebuy.errors import ProductNotFoundError
from livebuy.events.state import deals_in
from livebuy.redis import keys
from livebuy.shows.service import ShowService

MINUTE_MS = 60_000
SERIES_MINUTES = 30


def _series(minutes: list[int], values: list[Any]) -> list[MinutePoint]:
    return [
        MinutePoint(minute=minute, value=int(value or 0))
        for minute, value in zip(minutes, values, strict=True)
    ]


def sales_rows(fields: dict[str, str]) -> dict[str, tuple[int, int, int, str]]:
    """``product id -> (units, orders, revenue, currency)`` of the products still sold."""
    products: dict[str, dict[str, str]] = defaultdict(dict)
    for field, value in fields.items():
        kind, _, product_id = field.partition(":")
        if product_id:
            products[product_id][kind] = value
    return {
        product_id: (
            int(row.get("units", 0)),
            int(row.get("orders", 0)),
            int(row.get("revenue", 0)),
            row.get("currency", ""),
        )
        for product_id, row in sorted(products.items())
        if int(row.get("units", 0)) > 0
    }


class AnalyticsService:
    """Viewers now and per minute, chat and reactions per minute, sales and deals of a show."""

    def __init__(
        self, redis: Redis, shows: ShowService, catalog: CatalogStore, *, stale_ms: int
    ) -> None:
        self._redis = redis
        self._shows = shows
        self._catalog = catalog
        self._stale_ms = stale_ms

    async def show(self, show_id: str) -> ShowAnalytics:
        """The show's figures now.

        Raises:
            ShowNotFoundError: no such show.
        """
        await self._shows.get(show_id)
        seconds, micros = await self._redis.time()
        now = seconds * 1000 + micros // 1000
        this_minute = now - now % MINUTE_MS
        minutes = [this_minute - MINUTE_MS * back for back in range(SERIES_MINUTES - 1, -1, -1)]
        fields = [str(minute) for minute in minutes]
        async with self._redis.pipeline(transaction=False) as pipe:
            await pipe.zrangebyscore(
                keys.analytics_viewers_seen(show_id), now - self._stale_ms, "+inf"
            )
            await pipe.hgetall(keys.analytics_viewers(show_id))
            await pipe.hmget(keys.analytics_viewers_per_minute(show_id), fields)
            await pipe.hmget(keys.analytics_chat_per_minute(show_id), fields)
            await pipe.hmget(keys.analytics_reactions_per_minute(show_id), fields)
            await pipe.hgetall(keys.analytics_sales(show_id))
            await pipe.hgetall(keys.show_state(show_id))
            fresh, counts, peaks, chat, reactions, sales_fields, state = await pipe.execute()
        # A crashed process's last report stays until someone prunes it: count only fresh ones.
        viewers = sum(int(counts.get(process, 0)) for process in fresh)
        sales = sales_rows(cast(dict[str, str], sales_fields))
        deals = [
            RunningDeal(show_id=show_id, **deal) for deal in deals_in(cast(dict[str, str], state))
        ]
        deals.sort(key=lambda deal: (deal.started_at, deal.deal_id))
        names = await product_names(self._catalog, {*sales, *(deal.product_id for deal in deals)})
        return ShowAnalytics(
            show_id=show_id,
            at=now,
            viewers=viewers,
            viewers_per_minute=_series(minutes, peaks),
            chat_per_minute=_series(minutes, chat),
            reactions_per_minute=_series(minutes, reactions),
            sales=[
                ProductSales(
                    product_id=product_id,
                    name=names[product_id],
                    units=units,
                    orders=orders,
                    revenue=Money(amount=revenue, currency=currency),
                )
                for product_id, (units, orders, revenue, currency) in sales.items()
            ],
            totals=_totals(sales, int(cast(dict[str, str], sales_fields).get("orders", 0))),
            deals=await self._deals(deals, names, now),
        )

    async def _deals(
        self, deals: list[RunningDeal], names: dict[str, str], now: int
    ) -> list[DealUnits]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for deal in deals:
                await pipe.hget(deal.counters_key(), "taken")
            taken = await pipe.execute()
        return [
            DealUnits(
                deal_id=deal.deal_id,
                product_id=deal.product_id,
                name=names[deal.product_id],
                deal_price=deal.deal_price,
                units=deal.units,
                units_left=max(deal.units - int(count or 0), 0),
                per_customer_limit=deal.per_customer_limit,
                started_at=deal.started_at,
                ends_at=deal.ends_at,
                live=deal.running(now),
            )
            for deal, count in zip(deals, taken, strict=True)
        ]


async def product_names(catalog: CatalogStore, product_ids: set[str]) -> dict[str, str]:
    """``product id -> name``; a product gone from the catalog keeps its id as its name."""
    names: dict[str, str] = {}
    for product_id in sorted(product_ids):
        try:
            names[product_id] = (await catalog.get_product(product_id)).name
        except ProductNotFoundError:
            names[product_id] = product_id
    return names


def _totals(sales: dict[str, tuple[int, int, int, str]], orders: int) -> SalesTotals:
    revenue: dict[str, int] = defaultdict(int)
    for _, _, amount, currency in sales.values():
        revenue[currency] += amount
    return SalesTotals(
        units=sum(units for units, _, _, _ in sales.values()),
        orders=orders,
        revenue=[
            Money(amount=amount, currency=currency) for currency, amount in sorted(revenue.items())
        ],
    )
