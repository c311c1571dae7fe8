"""The asyncio Redis client livebuy shares across a process."""

from __future__ import annotations

from redis.asyncio import Redis


def connect(url: str) -> Redis:
    """Client for ``url`` that returns ``str`` values; connections are opened lazily by the pool."""
    return Redis.from_url(url, decode_responses=True, health_check_interval=30)
