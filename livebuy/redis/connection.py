"""The asyncio Redis client livebuy shares across a process."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

# Enough for a burst of viewers joining at once (each join is a few short commands) plus one
# blocking stream reader per watched show; past it, callers wait for a connection instead of failing.
MAX_CONNECTIONS = 256
POOL_TIMEOUT_S = 10


def connect(url: str) -> Redis:
    """Client for ``url`` that returns ``str`` values; connections are opened lazily by the pool.

    The pool blocks when exhausted (redis-py's default pool raises at once, which cut off viewers
    joining in a burst). RESP2 is pinned: livebuy parses stream replies in their RESP2 shape.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        protocol=2,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_TIMEOUT_S,
    )
    return Redis.from_pool(pool)
