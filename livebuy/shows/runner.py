"""Drives a ``RunSheetPlayer`` in asyncio: wins the show's player lease, then publishes due cues."""

from __future__ import annotations

import asyncio
import logging
import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

from livebuy.clock import Clock, now_ms
from livebuy.redis import keys
from livebuy.redis.scripts import register
from livebuy.shows.player import RunSheetPlayer
from livebuy.shows.service import ShowService

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
        self._lease_ms = lease_ms
        self._clock = clock
        self._owner = secrets.token_hex(8)
        self._lease_key = keys.show_player_lease(player.show.id)
        self._acquire = register(redis, "livebuy.shows", "player_lease")
        self._release = register(redis, "livebuy.shows", "player_release")
        self._leader = False
        self._lease_renewed_at = 0

    @property
    def is_leader(self) -> bool:
        """Whether this process held the lease at its last tick."""
        return self._leader

    async def run(self) -> None:
        """Tick until cancelled; Redis outages are logged and retried, never fatal."""
        try:
            while True:
                try:
                    await self.tick()
                except RedisError:
                    log.exception(
                        "show player tick failed", extra={"show_id": self._player.show.id}
                    )
                    self._leader = False
                await asyncio.sleep(self._tick_s)
        finally:
            if self._leader:
                await asyncio.shield(self._give_up())

    async def tick(self) -> None:
        """Renew the lease (about three times per lease period) and publish what is due."""
        now = self._clock()
        if not self._leader or now - self._lease_renewed_at >= self._lease_ms // 3:
            held = bool(
                await self._acquire(keys=[self._lease_key], args=[self._owner, self._lease_ms])
            )
            if held and not self._leader:
                self._player.reset()
                log.info("show player elected", extra={"show_id": self._player.show.id})
            self._leader = held
            self._lease_renewed_at = now
        if not self._leader:
            return
        for due in self._player.step(now):
            await self._shows.publish(
                self._player.show.id, due.line.id, due.line.cue, due.at_ms, dedupe_id=due.dedupe_id
            )

    async def _give_up(self) -> None:
        try:
            await self._release(keys=[self._lease_key], args=[self._owner])
        except RedisError:
            log.warning("could not release the show player lease; it expires by itself")
