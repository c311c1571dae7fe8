"""Drives a ``RunSheetPlayer`` in asyncio: wins the show's player lease, then publishes due cues.

Each tick reads the show's timeline from Redis, so the rehearsal speed a producer sets through any
process is the one the lease holder plays at.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from livebuy import metrics
from livebuy.clock import Clock, now_ms
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.shows.player import RunSheetPlayer
from livebuy.shows.service import ShowService
from livebuy.tasks import raise_if_cancelled

log = logging.getLogger(__name__)


class PlayerRunner:
    """One per show per process; only the process holding the lease publishes.

    A process that loses the lease (it stalled past the lease time) stops publishing at its next
    tick; the new holder catches up on what fell due meanwhile, and publishing is deduplicated per
    cue and run, so a failover neither skips nor repeats a cue.
    """

    def __init__(
        self,
        redis: Redis,
        shows: ShowService,
        player: RunSheetPlayer,
        *,
        tick_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self._shows = shows
        self._player = player
        self._tick_s = tick_ms / 1000
        self._clock = clock
        self._lease = Lease(redis, keys.show_player_lease(player.show.id), lease_ms)

    async def run(self) -> None:
        """Tick until cancelled; Redis outages are logged and retried, never fatal."""
        try:
            while True:
                try:
                    await self.tick()
                except RedisError:
                    raise_if_cancelled()
                    log.exception(
                        "show player tick failed", extra={"show_id": self._player.show.id}
                    )
                    self._lease.held = False
                await asyncio.sleep(self._tick_s)
        finally:
            await asyncio.shield(self._lease.release())

    async def tick(self) -> None:
        """Renew the lease and, while holding it, publish what is due."""
        now = self._clock()
        was_leader = self._lease.held
        if not await self._lease.refresh(now):
            return
        if not was_leader:
            self._player.reset()
            log.info("show player elected", extra={"show_id": self._player.show.id})
        # Read every tick (one small GET): a change made through any process applies at once,
        # and a new lease holder maps time exactly as the one before it did.
        timeline = await self._shows.timelines.read(self._player.show)
        for due in self._player.step(now, timeline):
            appended = await self._shows.publish(
                self._player.show.id,
                due.line.id,
                due.line.cue,
                due.at_ms,
                dedupe_id=due.dedupe_id,
                speed=timeline.speed,
            )
            if appended.created:
                metrics.CUES_PUBLISHED.labels("run_sheet").inc()
