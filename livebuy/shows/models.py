"""Pydantic models of shows, their run sheets and the cues a run sheet or a producer sends."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from catalog.models import Money
from livebuy.settings import MAX_SPEED

_OFFSET = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d{1,3}))?$")

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


def parse_offset(value: Any) -> Any:
    """Accept ``"mm:ss"``, ``"h:mm:ss"``, ``"mm:ss.mmm"`` or plain milliseconds."""
    if isinstance(value, str):
        match = _OFFSET.match(value.strip())
        if match is None:
            raise ValueError("offset must be milliseconds or 'mm:ss' / 'h:mm:ss' / 'mm:ss.mmm'")
        hours, minutes, seconds, millis = match.groups()
        return (int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)) * 1000 + int(
            (millis or "0").ljust(3, "0")
        )
    return value


OffsetMs = Annotated[int, BeforeValidator(parse_offset), Field(ge=0)]


class _Cue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PinCue(_Cue):
    """Show a product on every viewer's screen (the model is wearing it)."""

    kind: Literal["pin"]
    product_id: str


class UnpinCue(_Cue):
    """Take a product off screen; without ``product_id`` every pinned product goes."""

    kind: Literal["unpin"]
    product_id: str | None = None


class CountdownCue(_Cue):
    """Start a visible countdown (e.g. to a flash deal)."""

    kind: Literal["countdown"]
    countdown_id: Identifier
    label: str = Field(min_length=1, max_length=120)
    duration_ms: OffsetMs = Field(gt=0)


class DealStartCue(_Cue):
    """Open a flash deal: a deal price for a capped number of units."""

    kind: Literal["deal_start"]
    deal_id: Identifier
    product_id: str
    deal_price: Money
    units: int = Field(gt=0, le=1_000_000)
    per_customer_limit: int = Field(1, gt=0, le=100)
    duration_ms: OffsetMs | None = None
    mode: Literal["first_come", "lottery"] = Field(
        "first_come",
        description="first_come: the first taps buy; lottery: taps in the entry window are "
        "entries, drawn at its close (docs/games.md, Fair drops)",
    )
    entry_window_ms: int | None = Field(
        None, ge=1000, le=120_000, description="lottery only; default LIVEBUY_DROP_ENTRY_WINDOW_MS"
    )
    pay_hold_ms: int | None = Field(
        None,
        ge=1000,
        le=3_600_000,
        description="lottery only: how long a winner has to pay; default LIVEBUY_DROP_PAY_HOLD_MS",
    )

    @model_validator(mode="after")
    def _lottery_fields(self) -> DealStartCue:
        if self.mode == "first_come" and (
            self.entry_window_ms is not None or self.pay_hold_ms is not None
        ):
            raise ValueError("entry_window_ms and pay_hold_ms are for mode 'lottery' only")
        window = self.entry_window_ms
        if self.duration_ms is not None and window is not None and self.duration_ms <= window:
            raise ValueError("a lottery deal's duration_ms must outlast its entry window")
        return self


class DealEndCue(_Cue):
    """Close a flash deal."""

    kind: Literal["deal_end"]
    deal_id: Identifier


class AnnounceCue(_Cue):
    """A banner message from the host."""

    kind: Literal["announce"]
    text: str = Field(min_length=1, max_length=500)


class AnnounceClearCue(_Cue):
    """Take the host's banner message down (the show has no announcement until the next one)."""

    kind: Literal["announce_clear"]


PollOption = Annotated[str, Field(min_length=1, max_length=80)]


class PollCue(_Cue):
    """Open a poll: 2-5 options for ``duration_ms`` of program time, one vote per session.

    With ``hide_results_until_close`` viewers see only the number of votes until the final result.
    """

    kind: Literal["poll"]
    poll_id: Identifier
    question: str = Field(min_length=1, max_length=200)
    options: list[PollOption] = Field(min_length=2, max_length=5)
    duration_ms: OffsetMs = Field(gt=0, le=3_600_000)
    hide_results_until_close: bool = False


def _quiz_schema(schema: dict[str, Any]) -> None:
    """State ``_correct_is_an_option`` in the JSON Schema: one branch per number of options."""
    schema["anyOf"] = [
        {
            "properties": {
                "options": {"minItems": count, "maxItems": count},
                "correct_option": {"maximum": count - 1},
            }
        }
        for count in range(2, 6)
    ]


class QuizCue(_Cue):
    """Open a quiz question: like a poll, with a correct option kept secret until the final result.

    Its window is its per-question ``time_limit_ms``; sessions that answered correctly win ``prize``
    (store credit, recorded with the winners and credited to their wallets by the poll loop).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_quiz_schema)

    kind: Literal["quiz"]
    poll_id: Identifier
    question: str = Field(min_length=1, max_length=200)
    options: list[PollOption] = Field(min_length=2, max_length=5)
    correct_option: int = Field(ge=0, le=4)
    time_limit_ms: OffsetMs = Field(10_000, ge=1000, le=60_000)
    prize: Money | None = None
    hide_results_until_close: bool = False

    @model_validator(mode="after")
    def _correct_is_an_option(self) -> QuizCue:
        if self.correct_option >= len(self.options):
            raise ValueError("correct_option must be the index of one of the options")
        return self


class PollCloseCue(_Cue):
    """Close a poll or quiz now (before its time is up); its final result follows."""

    kind: Literal["poll_close"]
    poll_id: Identifier


class CouponPrize(_Cue):
    """Each winner gets a personal single-use coupon (percent or amount off)."""

    kind: Literal["coupon"]
    coupon_kind: Literal["percent", "amount"]
    value: int = Field(gt=0, description="percent (1-100) or minor units off")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="required for amount")
    valid_ms: int = Field(7 * 24 * 3600 * 1000, gt=0, description="how long the coupon is valid")

    @model_validator(mode="after")
    def _consistent(self) -> CouponPrize:
        if self.coupon_kind == "percent" and self.value > 100:
            raise ValueError("a percent coupon takes at most 100")
        if self.coupon_kind == "amount" and self.currency is None:
            raise ValueError("an amount coupon needs a currency")
        return self


class CreditPrize(_Cue):
    """Each winner gets store credit (paid into the wallet when the giveaway is drawn)."""

    kind: Literal["credit"]
    amount: int = Field(gt=0, le=100_000_000, description="minor units")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


GiveawayPrize = Annotated[CouponPrize | CreditPrize, Field(discriminator="kind")]


class GiveawayCue(_Cue):
    """Open a giveaway: viewers enter during the window, N winners are drawn verifiably at close."""

    kind: Literal["giveaway"]
    giveaway_id: Identifier
    title: str = Field(min_length=1, max_length=120)
    prize: GiveawayPrize
    winners: int = Field(gt=0, le=10_000)
    duration_ms: OffsetMs = Field(gt=0, le=3_600_000)
    require_chatted: bool = False
    require_favourite: bool = False
    require_purchase: bool = False


class RedPacketsCue(_Cue):
    """A red-packet rain: ``budget`` (minor units) split into ``count`` packets of
    ``min_amount``..``max_amount``, grabbed by viewers for ``duration_ms``, one per viewer."""

    kind: Literal["red_packets"]
    rain_id: Identifier
    budget: int = Field(gt=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    count: int = Field(gt=0, le=1_000_000)
    min_amount: int = Field(gt=0)
    max_amount: int = Field(gt=0)
    duration_ms: OffsetMs = Field(ge=1000, le=120_000)

    @model_validator(mode="after")
    def _feasible(self) -> RedPacketsCue:
        if self.min_amount > self.max_amount:
            raise ValueError("min_amount must not exceed max_amount")
        if not self.count * self.min_amount <= self.budget <= self.count * self.max_amount:
            raise ValueError(
                "the packets cannot add up to the budget: need count * min_amount <= budget <= count * max_amount"
            )
        return self


# --- auctions ---

LadderStep = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]


class AuctionCue(_Cue):
    """Open a live auction of one SKU: a start price, an increment ladder, a clock and a mode.

    ``ladder`` is ``[[from_price, increment], ...]`` in minor units: from ``from_price`` on, the
    next bid must be at least ``increment`` more. ``extend``: a bid with less than
    ``extend_ms`` left sets the time left to ``extend_ms``; ``sudden_death``: never extended.
    """

    kind: Literal["auction"]
    auction_id: Identifier
    sku: str = Field(min_length=1, max_length=100)
    start_price: Money
    ladder: list[LadderStep] = Field(min_length=1, max_length=20)
    duration_ms: OffsetMs = Field(ge=1_000, le=600_000)
    mode: Literal["extend", "sudden_death"] = "extend"
    extend_ms: int = Field(10_000, ge=1_000, le=60_000)

    @model_validator(mode="after")
    def _ladder_usable(self) -> AuctionCue:
        froms = [step[0] for step in self.ladder]
        if froms[0] != 0 or froms != sorted(set(froms)):
            raise ValueError("ladder steps start at price 0 and rise strictly")
        if any(step[1] <= 0 for step in self.ladder):
            raise ValueError("every ladder increment is at least 1")
        return self


class AuctionCancelCue(_Cue):
    """Cancel a running auction: no winner, every bid void."""

    kind: Literal["auction_cancel"]
    auction_id: Identifier


Cue = Annotated[
    PinCue
    | UnpinCue
    | CountdownCue
    | DealStartCue
    | DealEndCue
    | AnnounceCue
    | AnnounceClearCue
    | PollCue
    | QuizCue
    | PollCloseCue
    | GiveawayCue
    | RedPacketsCue
    | AuctionCue
    | AuctionCancelCue,
    Field(discriminator="kind"),
]


class ScheduledCue(BaseModel):
    """One line of a run sheet: a cue at an offset on the show's program clock."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    offset_ms: OffsetMs
    cue: Cue

    @model_validator(mode="before")
    @classmethod
    def _accept_flat_lines(cls, value: Any) -> Any:
        """Run-sheet files write a line flat: ``{id, at, kind, ...cue fields}``."""
        if isinstance(value, dict) and "cue" not in value and "kind" in value:
            fields = dict(value)
            line = {
                "id": fields.pop("id", None),
                "offset_ms": fields.pop("at", None),
                "cue": fields,
            }
            if "offset_ms" in fields:
                line["offset_ms"] = fields.pop("offset_ms")
            return line
        return value


class CardVariant(BaseModel):
    """One variant of an A/B-tested product card: its name and how the viewer page draws it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Identifier
    layout: Literal["full", "compact"] = Field(
        "full", description="full: photo, brand and name; compact: name, price and buttons only"
    )
    show_bought_count: bool = Field(True, description="show the 'N bought in the last minute' line")


class CardExperiment(BaseModel):
    """An A/B test of one product's card: every viewer session sees one variant, the same each
    time (``livebuy.analytics.experiments.assign``); the first variant is the control."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    product_id: str = Field(min_length=1, max_length=100)
    variants: list[CardVariant] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _names_unique(self) -> CardExperiment:
        names = [variant.name for variant in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique")
        return self


def _one_experiment_per_product(experiments: list[CardExperiment]) -> list[CardExperiment]:
    """A card is drawn one way per viewer: no two experiments of a show test the same product."""
    ids = [experiment.id for experiment in experiments]
    products = [experiment.product_id for experiment in experiments]
    if len(set(ids)) != len(ids):
        raise ValueError("experiment ids must be unique")
    if len(set(products)) != len(products):
        raise ValueError("one experiment per product")
    return experiments


Experiments = Annotated[
    list[CardExperiment],
    Field(max_length=20),
    AfterValidator(_one_experiment_per_product),
]


class ShowDefinition(BaseModel):
    """A show: what it is, when its stream starts, and its run sheet (sorted by offset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    starts_at_ms: int = Field(ge=0, description="program time of offset 0, ms since the epoch")
    length_ms: int = Field(gt=0, description="length of one run of the run sheet")
    loop: bool = False
    cues: list[ScheduledCue]
    experiments: Experiments = Field(
        default_factory=list, description="A/B tests of product cards (docs/analytics.md)"
    )


class ShowSummary(BaseModel):
    """A show in the list endpoint."""

    id: str
    title: str
    description: str
    starts_at_ms: int
    length_ms: int
    loop: bool
    cue_count: int


class LiveCueRequest(BaseModel):
    """A cue a producer sends during the show; it plays at once."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier | None = None
    cue: Cue


class PublishedCue(BaseModel):
    """Answer to a live cue: where it landed in the show's sequence."""

    cue_id: str
    seq: int
    at: int


def _timeline_request_schema(schema: dict[str, Any]) -> None:
    """State ``_changes_something`` in the JSON Schema: give ``speed``, ``paused`` or both."""
    for name in ("speed", "paused"):
        (present,) = [c for c in schema["properties"][name]["anyOf"] if c["type"] != "null"]
        schema["properties"][name] = present
    schema["anyOf"] = [{"required": ["speed"]}, {"required": ["paused"]}]


class TimelineRequest(BaseModel):
    """A producer's change of the rehearsal timeline: a new speed, a pause or a resume."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_timeline_request_schema)

    speed: float | None = Field(None, gt=0, le=MAX_SPEED, allow_inf_nan=False)
    paused: bool | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> TimelineRequest:
        if self.speed is None and self.paused is None:
            raise ValueError("give speed and/or paused")
        return self


class TimelineAnchor(BaseModel):
    """Where the current timeline segment starts: a wall time and the sheet position there."""

    wall_ms: int
    sheet_ms: int


class TimelineView(BaseModel):
    """A show's timeline now: speed, pause, anchor, and where the play head is."""

    show_id: str
    version: int
    speed: float
    paused: bool
    anchor: TimelineAnchor
    now_ms: int
    position_ms: int = Field(description="sheet position over every run (negative: not started)")
    run: int | None = Field(description="run of the sheet playing (None before the start)")
    offset_ms: int | None = Field(description="play head within the run (None before the start)")
