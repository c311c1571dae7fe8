"""The drop's request and answer models (the HTTP contract of docs/protocol.md, Fair drops)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livebuy.games.draw import DrawProof

EntryStatus = Literal["not_entered", "entered", "won", "waitlisted", "lost"]


class EntryRequest(BaseModel):
    """Body of an entry (optional): the variant wanted if you win."""

    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="a SKU of the deal's product; without it a winner gets the first in stock",
    )


class EntryResult(BaseModel):
    """You are in the draw (the first tap: 201; a repeat: 200, the same body)."""

    deal_id: str
    status: Literal["entered"] = "entered"
    entries_close_at: int = Field(description="server-clock ms the window closes (grace aside)")


class MyEntry(BaseModel):
    """Your standing in a lottery deal's run."""

    deal_id: str
    status: EntryStatus
    order_id: str | None = Field(None, description="won: your reserved order at the deal price")
    pay_by: int | None = Field(None, description="won and unpaid: the reservation's end (ms)")
    entries_close_at: int
    reason: str | None = Field(
        None, description="lost after winning: the order's fate (expired, cancelled, no_stock)"
    )


class DrawDocument(BaseModel):
    """A lottery deal's draw: the commitment from the start, and once drawn the whole proof.

    ``proof.winners`` is the draw order: the first ``winner_count`` won, the rest were the
    waitlist. ``livebuy verify-draw <this URL>`` recomputes it.
    """

    deal_id: str
    started_at: int
    status: Literal["entries", "drawing", "drawn"]
    commitment: str = Field(description="sha256(seed) as published with the deal's cue")
    seed_hash: str
    entries_close_at: int
    entries: int
    winner_count: int | None = None
    waitlisted: int | None = None
    proof: DrawProof | None = None
