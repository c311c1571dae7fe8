"""The ``data`` of the frames sent to one connection only: snapshot, error, auth_ok, chat_ack.

Show events have their models in ``livebuy.events.models``; these are the rest of what the server
sends. The gateway builds each frame from its model, and ``livebuy.contract`` publishes the same
models as the AsyncAPI document's schemas, so the two cannot drift. Parts that other domains
build as plain dicts (product cards, games' parts) stay open objects here: their fields are
documented where they are made.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from livebuy.chat.models import ChatMessage
from livebuy.events.models import SalesVelocityEvent, TimelineEvent
from livebuy.shows.models import CardExperiment

# A product card as ``GET /api/catalog/products/{id}`` returns it (see the OpenAPI document).
ProductCard = dict[str, Any]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def data_json(self) -> str:
        """The frame's ``data`` as JSON text: the fields that were given, and only those."""
        return self.model_dump_json(exclude_unset=True)


class SnapshotShow(_Data):
    """The show a viewer joined."""

    id: str
    title: str
    description: str
    starts_at_ms: int = Field(description="program time of the run sheet's offset 0")
    length_ms: int = Field(description="length of one run of the run sheet")
    experiments: list[CardExperiment] = Field(
        default_factory=list,
        description="A/B tests of product cards: the page draws each card as its variant says",
    )


class PinnedProduct(_Data):
    """A product on screen: the pin cue that put it there and its card with live stock."""

    product_id: str
    cue_id: str
    at: int = Field(description="program time of the pin")
    product: ProductCard


class Money(_Data):
    """An amount in minor units and its ISO currency."""

    amount: int
    currency: str


class SnapshotDeal(_Data):
    """A running deal as it started, with the units still to sell."""

    deal_id: str
    product_id: str
    deal_price: Money
    units: int
    per_customer_limit: int
    started_at: int = Field(description="program time the deal opened")
    ends_at: int | None = Field(description="server time it ends; null: until its deal_end")
    units_left: int
    mode: Literal["first_come", "lottery"] = Field(
        "first_come", description="how the units sell (docs/protocol.md, Fair drops)"
    )
    entry_window_ms: int | None = Field(None, description="lottery: the entry window")
    pay_hold_ms: int | None = Field(None, description="lottery: how long a winner has to pay")
    entries_close_at: int | None = Field(None, description="lottery: server time entries close")
    seed_hash: str | None = Field(None, description="lottery: the draw's commitment")
    lottery: dict[str, Any] | None = Field(
        None, description="lottery: its phase (entries, drawn, first_come) and, once drawn, result"
    )


class SnapshotCountdown(_Data):
    """A running countdown; ``ends_at`` on the server's clock."""

    countdown_id: str
    label: str
    ends_at: int


class Announcement(_Data):
    """The host's banner message and the cue that showed it."""

    text: str
    cue_id: str
    at: int


class ChatSnapshot(_Data):
    """Chat as a joining viewer needs it."""

    messages: list[ChatMessage] = Field(description="the last messages, oldest first")
    pinned: ChatMessage | None
    slow_mode_ms: int = Field(description="0: slow mode off")


class SnapshotData(_Data):
    """The first frame of every connection: everything on screen now, and the seq it reflects.

    ``recovered: false`` when a resume (``since``) was not possible or Redis lost the show's
    history; optional parts are left out when empty or not configured.
    """

    show: SnapshotShow
    epoch: str = Field(description="the show stream's epoch: send it back with `since`")
    latest_seq: int
    pinned: list[PinnedProduct]
    deals: list[SnapshotDeal]
    countdowns: list[SnapshotCountdown]
    announcement: Announcement | None
    chat: ChatSnapshot
    timeline: TimelineEvent = Field(description="the rehearsal speed in force")
    polls: list[dict[str, Any]] = Field(
        description="open polls and quizzes with their results (docs/protocol.md, Polls)"
    )
    red_packets: list[dict[str, Any]] = Field(description="open red-packet rains with counts")
    sales_velocity: SalesVelocityEvent | None = Field(None, description="when not empty")
    giveaways: list[dict[str, Any]] | None = Field(None, description="the latest giveaways")
    auctions: list[dict[str, Any]] | None = Field(
        None, description="open auctions and those closed in the last minute, with product cards"
    )
    recovered: Literal[False] | None = None


class ErrorData(BaseModel):
    """A refused client frame: a stable ``code``, a ``message`` for people, and the error's
    details (``retry_after_ms``, ``min_amount``, ...); the connection stays open."""

    model_config = ConfigDict(extra="allow", frozen=True)

    code: str = Field(description="stable, machine-readable (docs/protocol.md)")
    message: str

    def data_json(self) -> str:
        """The frame's ``data`` as JSON text."""
        return self.model_dump_json()


class AuthOkData(_Data):
    """The session an ``auth`` frame attached, by its public name."""

    handle: str
    display_name: str


# Control frames by type: their ``data`` model. ``pong`` echoes the ping's ``data`` object.
CONTROL_DATA: dict[str, type[BaseModel] | None] = {
    "snapshot": SnapshotData,
    "error": ErrorData,
    "pong": None,
    "auth_ok": AuthOkData,
    "chat_ack": ChatMessage,
}
