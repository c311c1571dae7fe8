"""Which sessions are watching a show now, and which chatted: what games' eligibility reads.

The gateway marks an authenticated viewer's session as seen when it authenticates and at every
application ping (the web client pings every 5 s), so "watching now" is enforceable on any
process: the session's websocket to this show was heard within a window.
"""

from __future__ import annotations

from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.redis import keys

# Sessions not heard for this long are dropped from the set (kept small without a sweeper).
FORGET_MS = 10 * 60 * 1000
# Chatters of a show are remembered for a day after the last one chatted.
CHATTERS_TTL_MS = 24 * 3600 * 1000
# Unique viewers are kept as long as the funnel's other counters (a week).
WATCHERS_TTL_MS = 7 * 24 * 3600 * 1000


class ShowPresence:
    """Writes presence and chat activity per show (keys under the show's hash tag)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def seen(self, show_id: str, session_id: str) -> None:
        """The session's websocket to the show was heard now."""
        now = now_ms()
        async with self._redis.pipeline(transaction=False) as pipe:
            await pipe.zadd(keys.show_presence(show_id), {session_id: now})
            await pipe.zremrangebyscore(keys.show_presence(show_id), "-inf", now - FORGET_MS)
            # Unique viewers for the post-show report: a HyperLogLog, 12 KB at most per show.
            await pipe.pfadd(keys.funnel_watchers(show_id), session_id)
            await pipe.pexpire(keys.funnel_watchers(show_id), WATCHERS_TTL_MS)
            await pipe.execute()

    async def chatted(self, show_id: str, session_id: str) -> None:
        """The session posted chat in the show."""
        async with self._redis.pipeline(transaction=False) as pipe:
            await pipe.sadd(keys.show_chatters(show_id), session_id)
            await pipe.pexpire(keys.show_chatters(show_id), CHATTERS_TTL_MS)
            await pipe.execute()
