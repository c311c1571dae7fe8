"""The dashboard's answer: ``GET /api/shows/{show_id}/analytics``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from catalog.models import Money


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class MinutePoint(_Frozen):
    """One minute of a series: the minute's start (ms, Redis clock) and its value."""

    minute: int
    value: int


class ProductSales(_Frozen):
    """Paid sales of one product attributed to the show (cancelled and refunded ones taken out)."""

    product_id: str
    name: str
    units: int
    orders: int
    revenue: Money = Field(description="after coupon discounts, shared out across an order's lines")


class SalesTotals(_Frozen):
    """All the show's paid sales; revenue has one entry per currency sold in."""

    units: int
    orders: int
    revenue: list[Money]


class DealUnits(_Frozen):
    """A flash deal of the show with the units its cap still allows."""

    deal_id: str
    product_id: str
    name: str
    deal_price: Money
    units: int = Field(description="the deal's cap")
    units_left: int
    per_customer_limit: int
    started_at: int
    ends_at: int | None
    live: bool


class ShowAnalytics(_Frozen):
    """Everything the live dashboard draws, computed from Redis across every gateway process."""

    show_id: str
    at: int = Field(description="when this was computed (ms, Redis clock)")
    viewers: int = Field(description="viewers connected now, summed over the processes reporting")
    viewers_per_minute: list[MinutePoint] = Field(description="peak viewers, oldest minute first")
    chat_per_minute: list[MinutePoint]
    reactions_per_minute: list[MinutePoint]
    sales: list[ProductSales]
    totals: SalesTotals
    deals: list[DealUnits]


class FunnelRow(_Frozen):
    """One product of a show: how many saw its card, put it in their bag, and bought it."""

    product_id: str
    name: str
    cards_shown: int = Field(
        description="(viewer, pin cue) pairs the card was revealed to (HyperLogLog, ±0.81 %)"
    )
    added_to_bag: int = Field(
        description="sessions that added it to their bag from the show (HyperLogLog, ±0.81 %)"
    )
    bought_units: int = Field(description="paid units from the show (cancels taken back out)")
    bought_orders: int = Field(description="paid orders from the show with the product")


class ShowFunnel(_Frozen):
    """``GET /api/shows/{show_id}/funnel``: every product the show counted a step of."""

    show_id: str
    products: list[FunnelRow]
