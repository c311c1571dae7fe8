"""The join snapshot, assembled at the edge that serves it from what each domain provides.

Shows give the show, pins, countdowns, announcement and timeline; commerce the units left of
each deal; chat its recent messages, pinned message and slow mode; polls the open polls and
quizzes with their results as viewers see them; giveaways their latest giveaways (read after the
show's seq: one opened meanwhile also arrives as its cue frame, which the client applies by id).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from livebuy.chat.history import chat_snapshot
from livebuy.clock import now_ms
from livebuy.commerce.deals import DealBook
from livebuy.events.stream import StreamPosition
from livebuy.games.auctions.service import AuctionService
from livebuy.games.giveaways.service import GiveawayService
from livebuy.games.polls.service import PollService
from livebuy.games.red_packets.service import snapshot_part as red_packets_part
from livebuy.gateway.control import SnapshotData
from livebuy.shows.service import ShowService


class JoinSnapshots:
    """Builds the ``snapshot`` frame's data (``docs/protocol.md``) for a show."""

    def __init__(
        self,
        redis: Redis,
        shows: ShowService,
        polls: PollService,
        giveaways: GiveawayService | None = None,
        auctions: AuctionService | None = None,
    ) -> None:
        self._redis = redis
        self._shows = shows
        self._polls = polls
        self._giveaways = giveaways
        self._auctions = auctions
        self._deals = DealBook(redis)

    async def build(self, show_id: str) -> tuple[StreamPosition, SnapshotData]:
        """What a joining viewer needs at once, and the seq it reflects.

        Raises:
            ShowNotFoundError: no such show.
            pydantic.ValidationError: a part no longer has the frame's documented shape.
        """
        part = await self._shows.snapshot(show_id)
        left = {
            deal["deal_id"]: deal["units_left"]
            for deal in await self._deals.units_left(show_id, now_ms())
        }
        deals = [
            {**deal, "units_left": left.get(deal["deal_id"], deal["units"])} for deal in part.deals
        ]
        data: dict[str, Any] = {
            "show": part.show,
            "epoch": part.position.epoch,
            "latest_seq": part.position.seq,
            "pinned": part.pinned,
            "deals": deals,
            "countdowns": part.countdowns,
            "announcement": part.announcement,
            "chat": await chat_snapshot(self._redis, show_id),
            "timeline": part.timeline,
            "polls": await self._polls.open_polls(show_id),
            "red_packets": await red_packets_part(self._redis, show_id, now_ms()),
        }
        if part.sales_velocity:
            data["sales_velocity"] = {"products": part.sales_velocity}
        if self._giveaways is not None:
            data["giveaways"] = await self._giveaways.snapshot(show_id)
        if self._auctions is not None:
            data["auctions"] = await self._auctions.snapshot(show_id)
        # Built through the model the AsyncAPI document publishes: what is sent is what it says.
        return part.position, SnapshotData.model_validate(data)
