"""The asyncio Redis client livebuy shares across a process."""

from __future__ import annotations

from redis.asyncio import Redis


def connect(url: str) -> Redis:
    """Client for ``url`` that returns ``str`` values; connections are opened lazily by the pool.

    RESP2 is pinned: livebuy parses stream replies in their RESP2 shape (lists, not maps).
    """
    return Redis.from_url(url, decode_responses=True, health_check_interval=30, protocol=2)
