"""Who got the deals: one report shape for every game, shown to the producer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class GameReport(BaseModel):
    """How many distinct viewers (sessions) took part in one run of a game, and how many won.

    ``entered``: voters of a poll or quiz, entrants of a giveaway, viewers who tried to grab
    while a rain was open. ``distinct_winners``: a quiz's correct answerers (each wins its prize,
    if it has one), a giveaway's winners, viewers who got a packet; ``None`` for a plain poll,
    which nobody wins. ``addresses``: distinct client IPs among them (the per-IP caps' unit),
    ``None`` where it is not kept.
    """

    entered: int
    distinct_winners: int | None
    addresses: int | None = Field(None, description="distinct client IPs among the entrants")
