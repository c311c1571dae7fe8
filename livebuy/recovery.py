"""Recovery after Redis loses its data: reload the content, restart the hubs, report readiness.

Redis may come back empty (a restart without persistence, a failover to an empty replica, a
``FLUSHALL``). Every process checks the ``content_loaded`` marker every ``recovery_interval_s``
(one ``EXISTS``), and each hub's epoch and seq (one ``MULTI`` per show); a hub that reads a seq
that does not follow on asks for a check at once. The process that finds the marker gone loads
the content again (idempotent, so several processes doing it at once is fine), then restarts
every hub whose show lost its history: its viewers get a fresh snapshot with ``recovered: false``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from livebuy.background import ElectedLoop
from livebuy.gateway.hub import HubRegistry, Snapshot
from livebuy.redis import keys

log = logging.getLogger(__name__)


class ContentRecovery:
    """Watches for lost Redis data in this process and recovers from it.

    ``ready`` is False while this process reloads content; ``/readyz`` also checks the marker
    itself, so readiness drops the moment the data is gone, not a check later.
    """

    def __init__(
        self,
        redis: Redis,
        hubs: HubRegistry,
        *,
        reload: Callable[[], Awaitable[object]],
        snapshot: Snapshot,
        interval_s: float,
    ) -> None:
        self.ready = True
        self._redis = redis
        self._hubs = hubs
        self._reload = reload
        self._snapshot = snapshot
        self._wake = asyncio.Event()
        # Every process checks; at once when something looked lost (here or in a hub).
        self.loop = ElectedLoop(
            "content-recovery",
            None,
            self.check,
            interval_s,
            wake_on=(self._wake, hubs.gap_seen),
        )

    def check_soon(self) -> None:
        """Check now instead of at the next interval (something looked lost)."""
        self._wake.set()

    async def content_loaded(self) -> bool:
        """Whether Redis holds the content (and this process is not reloading it)."""
        return self.ready and bool(await self._redis.exists(keys.content_loaded()))

    async def check(self) -> None:
        """Reload the content if it is gone, then restart the hubs of shows that lost history."""
        if not await self._redis.exists(keys.content_loaded()):
            log.warning("redis lost its data: reloading content")
            self.ready = False
            try:
                await self._reload()
            finally:
                self.ready = True
        await self._hubs.recover(self._snapshot)
