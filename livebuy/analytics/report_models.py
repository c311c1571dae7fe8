"""The post-show report's figures: ``GET /api/shows/{show_id}/report`` and ``livebuy report``.

Every figure is defined in docs/analytics.md; the field descriptions name the formula.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from catalog.models import Money
from livebuy.analytics.models import MinutePoint


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ViewerFigures(_Frozen):
    """Who watched and for how long."""

    unique: int = Field(description="sessions whose websocket to the show was heard (HLL)")
    peak: int = Field(description="most viewers connected at once (highest minute peak)")
    peak_minute: int | None = Field(description="start of the minute of the peak (ms)")
    viewer_minutes: int = Field(description="sum over the minutes of each minute's peak viewers")
    average_watch_minutes: float = Field(description="viewer_minutes / unique (0 without viewers)")
    per_minute: list[MinutePoint] = Field(description="peak viewers per minute, gaps as 0")


class FunnelStep(_Frozen):
    """One step of the show's funnel: the sessions that reached it and the drop-off before it."""

    step: str
    label: str
    sessions: int
    of_previous: float | None = Field(description="sessions / previous step's sessions")
    drop_off: float | None = Field(description="1 - of_previous (negative: a step was skipped)")


class Abandonment(_Frozen):
    """Carts that never reached paid."""

    carts: int = Field(description="sessions that added to bag, checked out or paid (HLL union)")
    paid: int = Field(description="sessions with a paid order from the show")
    abandoned_carts: int = Field(description="carts - paid")
    rate: float | None = Field(description="abandoned_carts / carts")
    abandoned_orders: int = Field(description="show orders that expired or were cancelled unpaid")
    bags_without_order: int = Field(description="|bagged ∪ checkout| - |checkout| (sessions)")


class SalesFigures(_Frozen):
    """The show's paid sales (refunds taken back out)."""

    orders: int
    units: int
    revenue: list[Money]
    average_order_value: list[Money] = Field(description="revenue / orders, per currency")


class ProductRow(_Frozen):
    """One product: its card's reach, adds to bag and paid sales."""

    product_id: str
    name: str
    cards_shown: int
    added_to_bag: int
    units: int
    orders: int
    revenue: Money | None


class CueRow(_Frozen):
    """One pin or deal cue (every airing of it, for a looping show) and what it sold."""

    key: str = Field(description="attribution key: the pin's cue id, deal:<deal id>, or '-'")
    label: str
    kind: str = Field(description="pin, deal or none")
    first_at: int | None
    airings: int
    viewers_at_cue: int = Field(
        description="peak viewers in the minute it went on air (the highest over its airings)"
    )
    shown: int
    opened: int
    bagged: int
    checkout: int
    paid: int
    paid_orders: int
    units: int
    revenue: list[Money]
    abandoned_orders: int
    conversion: float | None = Field(description="paid sessions / viewers_at_cue")


class DealRow(_Frozen):
    """A flash deal: what it sold and how fast it sold out, run by run."""

    deal_id: str
    product_id: str
    name: str
    deal_price: Money
    units: int
    runs: int
    sell_out_ms: list[int | None] = Field(description="per run: start to last unit taken")
    orders: int
    units_sold: int
    revenue: list[Money]


class GameRow(_Frozen):
    """One run of a game and how many took part."""

    kind: str = Field(description="poll, quiz, giveaway, red_packets or auction")
    game_id: str
    at: int
    participants: int = Field(description="votes, answers, entries, grabs or bids")
    detail: str


class Conversion(_Frozen):
    """One conversion step of one A/B variant, against the control (docs/analytics.md)."""

    sessions: int = Field(description="exposed sessions that reached the step")
    rate: float | None = Field(description="sessions / exposures")
    ci_low: float | None = Field(description="Wilson 95 % interval of the rate, lower end")
    ci_high: float | None = Field(description="Wilson 95 % interval of the rate, upper end")
    z: float | None = Field(description="pooled two-proportion z against the control")
    p_value: float | None = Field(description="its two-sided p-value (None for the control)")


class VariantRow(_Frozen):
    """One variant of an A/B test: its card, its exposures and conversions."""

    name: str
    layout: str
    show_bought_count: bool
    exposures: int = Field(description="sessions whose page revealed the card in this variant")
    mismatched: int = Field(description="exposures whose page claimed another variant")
    bagged: Conversion
    paid: Conversion


class ExperimentRow(_Frozen):
    """An A/B test of a product card; the first variant is the control."""

    experiment_id: str
    product_id: str
    name: str
    variants: list[VariantRow]
    warnings: list[str] = Field(description="minimum-sample warnings: read no result yet")


class ShowReport(_Frozen):
    """Everything the post-show report shows, computed from data read once."""

    show_id: str
    title: str
    generated_at: int
    first_at: int | None = Field(description="the earliest event or minute the report covers")
    last_at: int | None
    sections: list[str] = Field(description="the report's sections in order (HTML renders these)")
    viewers: ViewerFigures
    chat_per_minute: list[MinutePoint]
    reactions_per_minute: list[MinutePoint]
    chat_total: int
    reactions_total: int
    funnel: list[FunnelStep]
    abandonment: Abandonment
    sales: SalesFigures
    products: list[ProductRow]
    cues: list[CueRow]
    deals: list[DealRow]
    games: list[GameRow]
    experiments: list[ExperimentRow] = Field(
        default_factory=list, description="A/B tests of product cards, per variant"
    )
