"""The giveaways' background job: close each on time and push entry counts, on one process."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.errors import GiveawayClosedError, GiveawayNotFoundError
from livebuy.events.models import GiveawayEntriesEvent
from livebuy.events.stream import ShowStream
from livebuy.games.giveaways.service import GiveawayService, due_member
from livebuy.redis import keys
from livebuy.redis.lease import Lease

log = logging.getLogger(__name__)

# With no giveaway open, the closer rests up to this long between looks: one opened meanwhile has
# its entry counts pushed within it (an open one keeps the tick, so it still closes on time).
IDLE_MAX_S = 1.0


class GiveawayCloser:
    """Each tick (lease-elected): draw the giveaways whose window ended, then push the entry
    count of each open giveaway whose count changed — one frame per giveaway per tick at most,
    never one per entry."""

    def __init__(
        self,
        redis: Redis,
        giveaways: GiveawayService,
        stream: ShowStream,
        *,
        tick_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self._redis = redis
        self._giveaways = giveaways
        self._stream = stream
        self._clock = clock
        self._pushed: dict[tuple[str, str], int] = {}
        self.loop = ElectedLoop(
            "giveaways",
            Lease(redis, keys.giveaways_lease(), lease_ms),
            self.tick,
            tick_ms / 1000,
            on_elected=self._elected,
            idle=lambda: None if self._busy else float("inf"),
            max_idle_s=IDLE_MAX_S,
            clock=clock,
        )
        self._busy = True

    async def _elected(self) -> None:
        # A new holder does not know what the last one pushed: it pushes every count once.
        self._pushed = {}

    async def tick(self) -> None:
        """Close what is due, then push changed counts."""
        now = self._clock()
        for show_id, giveaway_id in await self._giveaways.due(now):
            try:
                await self._giveaways.close(show_id, giveaway_id)
            except GiveawayClosedError:
                # Drawn already (closed early, or by a closer that died before the end): pay
                # and publish what is missing; repeats are no-ops, and it leaves the index.
                await self._giveaways.finish(show_id, giveaway_id)
            except GiveawayNotFoundError:
                # Its data is gone: only the index is left.
                await self._redis.zrem(keys.giveaways_due(), due_member(show_id, giveaway_id))
        counts = await self._giveaways.open_counts()
        # Nothing open: rest (an open giveaway keeps the tick, so it closes on time).
        self._busy = bool(counts)
        for (show_id, giveaway_id), count in counts.items():
            if self._pushed.get((show_id, giveaway_id)) != count:
                event = GiveawayEntriesEvent(giveaway_id=giveaway_id, entries=count)
                await self._stream.append(show_id, now, event)
                self._pushed[(show_id, giveaway_id)] = count
        self._pushed = {pair: self._pushed[pair] for pair in counts if pair in self._pushed}
