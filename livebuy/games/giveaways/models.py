"""What the giveaway endpoints answer: the public view, the proof, a viewer's own result."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from livebuy.games.draw import DrawProof
from livebuy.games.report import GameReport


class GiveawayView(BaseModel):
    """A giveaway as everyone may see it; ``proof`` (the input of ``livebuy verify-draw``) once
    it closed. Entrants appear only by their public handles."""

    show_id: str
    giveaway_id: str
    title: str
    prize: dict[str, Any]
    winner_count: int
    require_chatted: bool
    require_favourite: bool
    require_purchase: bool
    status: str = Field(description="open, drawing (entries closed) or closed")
    commitment: str = Field(description="sha256 of the secret seed, published at open")
    opened_at: int
    ends_at: int
    entries: int
    winners: list[str] | None = Field(None, description="winners' handles, in draw order")
    proof: DrawProof | None = None
    report: GameReport | None = None


class EntryResult(BaseModel):
    """Answer to an entry: the handle entered and the entry count then."""

    giveaway_id: str
    handle: str
    entries: int


class MyGiveaway(BaseModel):
    """A viewer's own standing in a giveaway; ``coupon_code`` only for a winner of a coupon."""

    giveaway_id: str
    status: str
    entered: bool
    won: bool | None = Field(None, description="None until the draw")
    prize: dict[str, Any] | None = None
    coupon_code: str | None = None


class Grant(BaseModel):
    """One prize owed to one session by a closed giveaway (paid into the wallet by ``finish``)."""

    session_id: str
    handle: str
    prize: dict[str, Any]
    coupon_code: str | None = None
