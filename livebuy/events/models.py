"""One model per show event type: what producers append, validated and serialised once.

A model's JSON is stored as the entry's ``data`` text and framed by string assembly on delivery,
so these models cost nothing per viewer. ``EVENT_TYPES`` lists every event a show stream holds;
``CONTROL_FRAMES`` the frames sent to one connection only (no seq of their own). Together they
are exactly the server frame types of ``docs/protocol.md`` (a test checks it).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShowEvent(_Part):
    """An event of a show's stream; ``event_type`` is the frame ``type`` viewers get."""

    event_type: ClassVar[str]

    def data_json(self) -> str:
        """The frame's ``data`` as JSON text: the fields that were given, and only those."""
        return self.model_dump_json(exclude_unset=True)


class CueEvent(ShowEvent):
    """A run-sheet or producer cue (``kind`` says which); ``cue_id`` names its line."""

    event_type: ClassVar[str] = "cue"

    cue_id: str


class PinEvent(CueEvent):
    """A product on every viewer's screen, with its full card."""

    kind: Literal["pin"]
    product_id: str
    product: dict[str, Any]


class UnpinEvent(CueEvent):
    """A product off screen; ``product_id`` ``None``: every pinned product."""

    kind: Literal["unpin"]
    product_id: str | None


class CountdownEvent(CueEvent):
    """A visible countdown; ``ends_at`` in wall ms at the rehearsal speed in force."""

    kind: Literal["countdown"]
    countdown_id: str
    label: str
    duration_ms: int
    ends_at: int


class DealStartEvent(CueEvent):
    """A flash deal opens; ``ends_at`` only when it has a ``duration_ms``."""

    kind: Literal["deal_start"]
    deal_id: str
    product_id: str
    deal_price: dict[str, Any]
    units: int
    per_customer_limit: int
    duration_ms: int | None
    product: dict[str, Any]
    ends_at: int | None = None
    # A lottery deal (Fair drops): the entry window on the server clock and the draw's commitment.
    mode: str | None = None
    entry_window_ms: int | None = None
    pay_hold_ms: int | None = None
    entries_close_at: int | None = None
    seed_hash: str | None = None


class DealEndEvent(CueEvent):
    """A flash deal closes."""

    kind: Literal["deal_end"]
    deal_id: str


class AnnounceEvent(CueEvent):
    """A banner message from the host."""

    kind: Literal["announce"]
    text: str


class AnnounceClearEvent(CueEvent):
    """The host's banner message is taken down."""

    kind: Literal["announce_clear"]


class PollEvent(CueEvent):
    """A poll opens; votes count until ``closes_at`` on the program clock."""

    kind: Literal["poll"]
    poll_id: str
    question: str
    options: list[str]
    duration_ms: int
    hide_results_until_close: bool
    closes_at: int


class QuizEvent(CueEvent):
    """A quiz question opens; the correct option is NOT in it (it comes with the final result)."""

    kind: Literal["quiz"]
    poll_id: str
    question: str
    options: list[str]
    time_limit_ms: int
    prize: dict[str, Any] | None
    hide_results_until_close: bool
    closes_at: int


class PollCloseEvent(CueEvent):
    """The producer closed a poll or quiz early; votes count until ``closes_at`` (the cue's time)."""

    kind: Literal["poll_close"]
    poll_id: str
    closes_at: int


class GiveawayEvent(CueEvent):
    """A giveaway opens: its terms, the draw's ``commitment`` (sha256 of the secret seed) and
    ``ends_at`` (server clock, wall ms)."""

    kind: Literal["giveaway"]
    giveaway_id: str
    title: str
    prize: dict[str, Any]
    winners: int
    duration_ms: int
    require_chatted: bool
    require_favourite: bool
    require_purchase: bool
    commitment: str
    ends_at: int


class RedPacketsEvent(CueEvent):
    """A red-packet rain opens: viewers may grab one packet each until ``ends_at``."""

    kind: Literal["red_packets"]
    rain_id: str
    budget: int
    currency: str
    count: int
    min_amount: int
    max_amount: int
    duration_ms: int
    ends_at: int


class AuctionStartEvent(CueEvent):
    """A live auction opens (``docs/games.md``); ``started_at``/``ends_at`` on the server clock.

    ``refused`` (``out_of_stock`` or ``auction_running``) when a run-sheet auction could not open.
    """

    kind: Literal["auction"]
    auction_id: str
    sku: str
    product_id: str
    start_price: dict[str, Any]
    ladder: list[list[int]]
    duration_ms: int
    mode: str
    extend_ms: int
    product: dict[str, Any]
    started_at: int | None = None
    ends_at: int | None = None
    refused: str | None = None


class AuctionCancelEvent(CueEvent):
    """The producer cancelled a running auction: no winner."""

    kind: Literal["auction_cancel"]
    auction_id: str


AnyCueEvent = (
    PinEvent
    | UnpinEvent
    | CountdownEvent
    | DealStartEvent
    | DealEndEvent
    | AnnounceEvent
    | AnnounceClearEvent
    | PollEvent
    | QuizEvent
    | PollCloseEvent
    | GiveawayEvent
    | RedPacketsEvent
    | AuctionStartEvent
    | AuctionCancelEvent
)
CueEventData = Annotated[AnyCueEvent, Field(discriminator="kind")]
CUE_KINDS: dict[str, type[CueEvent]] = {
    "pin": PinEvent,
    "unpin": UnpinEvent,
    "countdown": CountdownEvent,
    "deal_start": DealStartEvent,
    "deal_end": DealEndEvent,
    "announce": AnnounceEvent,
    "announce_clear": AnnounceClearEvent,
    "poll": PollEvent,
    "quiz": QuizEvent,
    "poll_close": PollCloseEvent,
    "giveaway": GiveawayEvent,
    "red_packets": RedPacketsEvent,
    "auction": AuctionStartEvent,
    "auction_cancel": AuctionCancelEvent,
}


class TimelineAnchor(_Part):
    """Where the run sheet was (``sheet_ms``) at wall time ``wall_ms``."""

    wall_ms: int
    sheet_ms: int


class TimelineEvent(ShowEvent):
    """The producer changed the rehearsal speed or paused; clients keep the highest version."""

    event_type: ClassVar[str] = "timeline"

    version: int
    speed: float
    paused: bool
    anchor: TimelineAnchor


class ChatEvent(ShowEvent):
    """A batch of chat messages (a sample when ``sampled``); ``count`` it stands for."""

    event_type: ClassVar[str] = "chat"

    messages: list[dict[str, Any]]
    count: int
    sampled: bool


class ReactionsEvent(ShowEvent):
    """Reactions of one interval per kind, and the show's totals."""

    event_type: ClassVar[str] = "reactions"

    counts: dict[str, int]
    totals: dict[str, int]
    interval_ms: int


class ChatDeleteEvent(ShowEvent):
    """A moderator removed a chat message."""

    event_type: ClassVar[str] = "chat_delete"

    id: str
    by: str


class ChatPinEvent(ShowEvent):
    """A moderator pinned a message (``None``: unpinned)."""

    event_type: ClassVar[str] = "chat_pin"

    message: dict[str, Any] | None
    by: str


class ChatModeEvent(ShowEvent):
    """Slow mode changed (0: off)."""

    event_type: ClassVar[str] = "chat_mode"

    slow_mode_ms: int
    by: str


class SkuStock(_Part):
    """Units of one SKU that can still be bought."""

    sku: str
    available: int


class DealUnits(_Part):
    """Units left of one running deal."""

    deal_id: str
    units_left: int


class StockEvent(ShowEvent):
    """A product's stock changed; ``deals`` are this show's running deals of the product."""

    event_type: ClassVar[str] = "stock"

    product_id: str
    available: int
    sold_out: bool
    stock: list[SkuStock]
    deals: list[DealUnits]


class PollResultsEvent(ShowEvent):
    """A poll's aggregated results: live (at most every 500 ms, when changed) or ``final``.

    ``counts`` is ``None`` while a poll hiding its results is open (``total`` is always there).
    A final quiz result names ``correct_option`` and ``correct_count``; otherwise both are ``None``.
    """

    event_type: ClassVar[str] = "poll_results"

    poll_id: str
    kind: Literal["poll", "quiz"]
    opened_at: int
    closes_at: int
    total: int
    counts: list[int] | None
    final: bool
    correct_option: int | None
    correct_count: int | None


class SalesVelocityEvent(ShowEvent):
    """Paid units per product in the trailing window (``{}``: none); pushed only on change."""

    event_type: ClassVar[str] = "sales_velocity"

    products: dict[str, int]


class GiveawayEntriesEvent(ShowEvent):
    """How many have entered an open giveaway (at most one per giveaway per push interval)."""

    event_type: ClassVar[str] = "giveaway_entries"

    giveaway_id: str
    entries: int


class GiveawayResultEvent(ShowEvent):
    """A giveaway closed: the revealed seed, the entry list's hash and the winners' handles.

    The full proof (with the entry list) is at ``proof_url``; ``livebuy verify-draw`` checks it.
    """

    event_type: ClassVar[str] = "giveaway_result"

    giveaway_id: str
    commitment: str
    seed: str
    entries_hash: str
    entries: int
    winners: list[str]
    proof_url: str


class RedPacketsUpdateEvent(ShowEvent):
    """A rain's grabs so far (sent at most every few hundred ms, never per grab); ``final`` once
    the rain has closed, with the figures it closed on."""

    event_type: ClassVar[str] = "red_packets_update"

    rain_id: str
    count: int
    granted: int
    granted_amount: int
    currency: str
    ends_at: int
    final: bool


class AuctionEvent(ShowEvent):
    """An auction's public state after an accepted bid, its close, or a step of its settling.

    Written by the auction's Lua steps (one per accepted bid, in bid order); ``version`` rises
    with every change, so a client keeps the highest it saw (snapshot or frame).
    """

    event_type: ClassVar[str] = "auction"

    auction_id: str
    status: str
    sku: str
    product_id: str
    currency: str
    start_price: int
    price: int
    min_next: int
    leader_handle: str | None
    leader_name: str | None
    bids: int
    version: int
    mode: str
    extend_ms: int
    started_at: int
    ends_at: int
    extended: bool
    ladder: list[list[int]]
    cue_id: str
    reason: str | None = None


class DealDrawnEvent(ShowEvent):
    """A lottery deal was drawn: the revealed seed, the entry list's hash and the winners.

    ``winners`` are handles in draw order; the ``waitlisted`` entries drawn after them may be
    promoted; ``first_come`` says the leftover units are on sale to anyone now. The full proof
    is at ``proof_url`` (``livebuy verify-draw`` checks it).
    """

    event_type: ClassVar[str] = "deal_drawn"

    deal_id: str
    started_at: int
    entries: int
    winners: list[str]
    waitlisted: int
    seed: str
    seed_hash: str
    entries_hash: str
    first_come: bool
    proof_url: str


class DealPromotedEvent(ShowEvent):
    """A lottery winner's unit went unpaid: the next waitlisted entry (``handle``) holds it now,
    or, with ``handle`` ``None``, the waitlist is over and the units left sell first-come."""

    event_type: ClassVar[str] = "deal_promoted"

    deal_id: str
    started_at: int
    handle: str | None
    waitlist_left: int
    first_come: bool


EVENT_TYPES: dict[str, tuple[type[ShowEvent], ...]] = {
    "cue": tuple(CUE_KINDS.values()),
    "timeline": (TimelineEvent,),
    "chat": (ChatEvent,),
    "reactions": (ReactionsEvent,),
    "chat_delete": (ChatDeleteEvent,),
    "chat_pin": (ChatPinEvent,),
    "chat_mode": (ChatModeEvent,),
    "stock": (StockEvent,),
    "poll_results": (PollResultsEvent,),
    "sales_velocity": (SalesVelocityEvent,),
    "giveaway_entries": (GiveawayEntriesEvent,),
    "giveaway_result": (GiveawayResultEvent,),
    "red_packets_update": (RedPacketsUpdateEvent,),
    "auction": (AuctionEvent,),
    "deal_drawn": (DealDrawnEvent,),
    "deal_promoted": (DealPromotedEvent,),
}

# Sent to one connection, repeating the last seq it was sent: never stored in a show stream.
CONTROL_FRAMES = frozenset({"snapshot", "error", "pong", "auth_ok", "chat_ack"})
