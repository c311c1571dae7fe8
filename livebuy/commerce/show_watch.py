"""What a buy needs to know of a show, kept in this process while it follows the show's stream.

A buy of a flash deal needs the deal as the show started it (product, price, window). Reading it
from Redis costs a round trip per order; the show's stream already says every time a deal starts
or ends (``deal_start`` / ``deal_end`` cues), and every process that serves orders for a show
follows its stream (the gateway hub, started on the show's first order if no viewer started it).
So the deal is read once, then kept until the stream says it changed. The same stream's ``stock``
frames feed the sold-out gate. ``order_create.lua`` still checks the deal atomically: a stale
entry can only cost a refusal the script would have made anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson

from livebuy.commerce.deals import DealBook, RunningDeal
from livebuy.commerce.sold_out import SoldOutGate

# Follows a show's stream from now on (the stream position is fixed when it returns).
Follow = Callable[[str], Awaitable[object]]
# Deals kept at most (junk deal ids are kept as "not running" too); past it all are dropped.
MAX_DEALS = 10_000
_DEAL_CUES = ("deal_start", "deal_end")


class ShowWatch:
    """The deals of the shows this process follows, and the sold-out gate fed by their streams.

    Without ``follow`` (tools and tests that build commerce without a gateway) nothing is kept:
    every deal is read from Redis and the gate never refuses.
    """

    def __init__(self, deals: DealBook, gate: SoldOutGate, follow: Follow | None) -> None:
        self._deals = deals
        self.gate = gate
        self._follow = follow
        self._followed: set[str] = set()
        self._kept: dict[tuple[str, str], RunningDeal | None] = {}
        # Bumped by every change a show's stream announces: a read that raced one is not kept.
        self._changes: dict[str, int] = {}

    def follows(self, show_id: str) -> bool:
        """Whether this process reads ``show_id``'s stream (so the gate's flags get cleared)."""
        return show_id in self._followed

    async def follow(self, show_id: str) -> None:
        """Read ``show_id``'s stream in this process from now on; call only for a known show
        (each followed show costs a reader for the life of the process)."""
        if self._follow is not None and show_id not in self._followed:
            await self._follow(show_id)
            self._followed.add(show_id)

    async def deal(self, show_id: str, deal_id: str) -> RunningDeal | None:
        """The deal as last started in the show (``None``: not there); Redis only on a miss."""
        key = (show_id, deal_id)
        if key in self._kept:
            return self._kept[key]
        if self._follow is None:
            return await self._deals.get(show_id, deal_id)
        if show_id not in self._followed:
            # A show with no such deal (or no such show) is not followed: junk ids cost a read,
            # never a reader.
            if await self._deals.get(show_id, deal_id) is None:
                return None
            # Following first: a change after this point reaches ``on_entries``, so the read
            # below cannot miss one.
            await self.follow(show_id)
        changes = self._changes.get(show_id, 0)
        deal = await self._deals.get(show_id, deal_id)
        if self._changes.get(show_id, 0) == changes:
            if len(self._kept) >= MAX_DEALS:
                self._kept.clear()
            self._kept[key] = deal
        return deal

    def on_entries(self, show_id: str, entries: list[tuple[str, dict[str, str]]]) -> None:
        """Entries read from a show's stream: deal cues drop what is kept, stock frames feed the
        gate (called by the hub before it fans them out, so a viewer that sees a frame can rely on
        the gate knowing it)."""
        for _, fields in entries:
            kind = fields["type"]
            if kind == "stock":
                self.gate.stock(show_id, orjson.loads(fields["data"]))
            elif kind == "cue":
                # A few cues a second at most: parsing each costs nothing that matters.
                cue = orjson.loads(fields["data"])
                if cue.get("kind") in _DEAL_CUES:
                    self._deal_changed(show_id, str(cue["deal_id"]))

    def on_reset(self, show_id: str) -> None:
        """The show's history was lost: nothing known of it holds any more."""
        self._changes[show_id] = self._changes.get(show_id, 0) + 1
        for key in [key for key in self._kept if key[0] == show_id]:
            del self._kept[key]
        self.gate.forget(show_id)

    def _deal_changed(self, show_id: str, deal_id: str) -> None:
        self._changes[show_id] = self._changes.get(show_id, 0) + 1
        self._kept.pop((show_id, deal_id), None)
        self.gate.deal_changed(show_id, deal_id)
