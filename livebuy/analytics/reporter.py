"""Each gateway process reports its viewers per show to Redis, so any process can sum them.

Layout (per show, under the show's hash tag): a hash ``process id -> count`` and a sorted set
``process id -> last report time``. A process that crashes stops reporting and is dropped once its
last report is older than the staleness window — by the next report of any process, and filtered
out at read time until then. This was chosen over one key per process with a TTL: reading a
show's viewers then needs no SCAN or registry of processes, and the report, the pruning and the
per-minute peak are one Lua step on keys of one show (valid on a cluster too).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from livebuy.background import ElectedLoop
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript


@dataclass(frozen=True)
class ReportKeys:
    """KEYS of ``analytics_report.lua``."""

    counts: str
    seen: str
    peaks: str


@dataclass(frozen=True)
class ReportArgs:
    """ARGV of ``analytics_report.lua``."""

    process_id: str
    count: int
    stale_ms: int
    peaks_ttl_ms: int


ANALYTICS_REPORT = LuaScript("livebuy.analytics", "analytics_report", ReportKeys, ReportArgs)

log = logging.getLogger(__name__)

# Per-minute peak viewers are kept this long after a show's last report (like chat's counters).
PEAKS_TTL_MS = 7 * 24 * 3600 * 1000


class ViewerReporter:
    """Reports ``viewer_counts()`` of this process every ``interval_ms`` (register ``loop``)."""

    def __init__(
        self,
        redis: Redis,
        viewer_counts: Callable[[], dict[str, int]],
        *,
        interval_ms: int,
        stale_ms: int,
    ) -> None:
        self._redis = redis
        self._viewer_counts = viewer_counts
        self._stale_ms = stale_ms
        # Unique per process run: a restarted process must not inherit its predecessor's entry.
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._reported: set[str] = set()
        self._report = ANALYTICS_REPORT.bind(redis)
        # Every process reports its own viewers; withdrawn when the loop stops.
        self.loop = ElectedLoop(
            "viewer-reporter", None, self.report, interval_ms / 1000, on_stop=self._withdraw
        )

    async def report(self) -> None:
        """Write this process's count for every show it has viewers of, or had at the last report.

        A show whose viewers all left is reported once as 0, which removes this process's entry.
        """
        counts = {show: count for show, count in self._viewer_counts().items() if count > 0}
        for show_id in sorted(self._reported | counts.keys()):
            await self._send(show_id, counts.get(show_id, 0))
        self._reported = set(counts)

    async def _withdraw(self) -> None:
        try:
            await self.withdraw()
        except RedisError:
            log.warning("viewer withdrawal failed: entries expire after the staleness window")

    async def withdraw(self) -> None:
        """Remove this process's entries at a clean shutdown, so its viewers, reconnecting to
        another process, are not counted twice for the staleness window."""
        for show_id in sorted(self._reported):
            await self._send(show_id, 0)
        self._reported = set()

    async def _send(self, show_id: str, count: int) -> None:
        await self._report(
            ReportKeys(
                counts=keys.analytics_viewers(show_id),
                seen=keys.analytics_viewers_seen(show_id),
                peaks=keys.analytics_viewers_per_minute(show_id),
            ),
            ReportArgs(self.process_id, count, self._stale_ms, PEAKS_TTL_MS),
        )
