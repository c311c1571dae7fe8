"""The rains' live counts and close: one process (lease-elected) publishes them for every show.

Every ``interval_ms`` it appends one ``red_packets_update`` per open rain whose counts moved
(aggregated: never one frame per grab), and after a rain's end one final update, de-duplicated
by the rain's run so a failover cannot close it twice; that same append takes the rain out of
the show's state. It also opens rains nobody grabbed yet (the split is ready before the rush)
and pays grants whose request died between the grab and the wallet credit.
"""

from __future__ import annotations

import logging
from typing import cast

from redis.asyncio import Redis

from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.errors import InvalidInputError
from livebuy.events.models import RedPacketsUpdateEvent
from livebuy.events.state import end_red_packets
from livebuy.events.stream import ShowStream
from livebuy.games.red_packets.service import RainCounts, RedPacketService
from livebuy.redis import keys
from livebuy.redis.lease import Lease

log = logging.getLogger(__name__)

# With no rain in any show, the publisher rests up to this long between looks: a rain started
# meanwhile gets its first counts within it (a running rain keeps the interval).
IDLE_MAX_S = 1.0

# A grant still in the outbox this long after its grab lost its request: the publisher pays it.
SETTLE_AFTER_MS = 2000


def update_event(counts: RainCounts, final: bool) -> RedPacketsUpdateEvent:
    """The ``red_packets_update`` event of a rain's counts."""
    rain = counts.rain
    return RedPacketsUpdateEvent(
        rain_id=rain["rain_id"],
        count=rain["count"],
        granted=counts.granted,
        granted_amount=counts.granted_amount,
        currency=rain["currency"],
        ends_at=rain["ends_at"],
        final=final,
    )


class RainPublisher:
    """Publishes rains' counts (at most every ``interval_ms``) and their final result."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        service: RedPacketService,
        interval_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._service = service
        self._published: dict[tuple[str, str, int], int] = {}
        self.loop = ElectedLoop(
            "red-packets",
            Lease(redis, keys.red_packets_lease(), lease_ms),
            lambda: self.step(clock()),
            interval_ms / 1000,
            idle=lambda: None if self._busy else float("inf"),
            max_idle_s=IDLE_MAX_S,
            clock=clock,
        )
        self._busy = True

    async def step(self, now: int) -> int:
        """Publish what changed in every show's rains; returns the events appended."""
        appended = 0
        busy = False
        show_ids = sorted(cast(set[str], await self._redis.smembers(keys.shows_index())))
        for show_id in show_ids:
            busy = await self._service.settle_due(show_id, now - SETTLE_AFTER_MS) > 0 or busy
            for counts in await self._service.counts(show_id):
                busy = True
                appended += await self._publish(show_id, counts, now)
        # No rain anywhere: rest (a running rain keeps the interval, so it ends on time).
        self._busy = busy
        return appended

    async def _publish(self, show_id: str, counts: RainCounts, now: int) -> int:
        rain = counts.rain
        run = (show_id, rain["rain_id"], rain["started_at"])
        if now >= rain["ends_at"]:
            # Grants made just before the end are paid before the result is told.
            await self._service.settle_due(show_id, now)
            await self._stream.append(
                show_id,
                now,
                update_event(counts, final=True),
                [end_red_packets(rain["rain_id"])],
                dedupe_id=f"red_packets:{rain['rain_id']}:{rain['started_at']}:final",
            )
            self._published.pop(run, None)
            return 1
        if run not in self._published:
            try:
                await self._service.open(show_id, rain)
            except InvalidInputError:
                # Over the configured size: grabs are refused with the same error; the counts
                # and the final result still go out (nothing granted).
                log.warning("red-packet rain too large", extra={"rain_id": rain["rain_id"]})
        if self._published.get(run) == counts.granted:
            return 0
        self._published[run] = counts.granted
        await self._stream.append(show_id, now, update_event(counts, final=False))
        return 1
