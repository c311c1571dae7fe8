"""Drives a ``RunSheetPlayer`` in asyncio: wins the show's player lease, then publishes due cues.

Each tick reads the show's timeline from Redis, so the rehearsal speed a producer sets through any
process is the one the lease holder plays at. Between cues the runner rests (ticking less often,
up to ``IDLE_MAX_S``, and never past the next cue's time): a timeline change made through this
process wakes it at once, one made through another is seen within ``IDLE_MAX_S``.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from livebuy import metrics
from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.shows.player import RunSheetPlayer
from livebuy.shows.service import ShowService

log = logging.getLogger(__name__)

# The longest rest between cues: how late a timeline change made through another process may
# apply (a show's cues still go out at their time: the rest never passes the next one).
IDLE_MAX_S = 0.25


class PlayerRunner:
    """One per show per process (register ``loop``); only the process holding the lease publishes.

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
        self._clock = clock
        # Seconds until the next cue at the last tick (None: a cue was due, or not known yet).
        self._rest_s: float | None = None
        self.loop = ElectedLoop(
            f"player:{player.show.id}",
            Lease(redis, keys.show_player_lease(player.show.id), lease_ms),
            self.tick,
            tick_ms / 1000,
            on_elected=self._elected,
            idle=lambda: self._rest_s,
            max_idle_s=IDLE_MAX_S,
            clock=clock,
        )
        shows.timeline_listeners.append(self._timeline_changed)

    def _timeline_changed(self, show_id: str) -> None:
        if show_id == self._player.show.id:
            self.loop.wake()

    async def _elected(self) -> None:
        self._player.reset()
        log.info("show player elected", extra={"show_id": self._player.show.id})

    async def tick(self) -> None:
        """Publish what is due (the loop calls this only while this process holds the lease)."""
        now = self._clock()
        # Read every tick (one small GET): a change made through any process applies at once,
        # and a new lease holder maps time exactly as the one before it did.
        self._rest_s = None
        try:
            timeline = await self._shows.timelines.read(self._player.show)
            due_cues = self._player.step(now, timeline)
            for due in due_cues:
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
            next_at = self._player.next_at(timeline)
            if not due_cues and next_at is not None and next_at > now:
                # A millisecond past it: the clock's whole milliseconds must have reached it.
                self._rest_s = (next_at - now + 1) / 1000
        except BaseException:
            # The player moved past cues that may not be out: the next tick catches up again
            # (publishing is deduplicated, so none goes out twice).
            self._player.reset()
            raise
