"""A Redis lease that elects one process for a job (playing a show, batching its chat).

The holder renews it about three times per lease period; a process that stalls past the period
loses it to another, so jobs driven by a lease must be idempotent or deduplicated.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from livebuy.redis.scripts import LuaScript


@dataclass(frozen=True)
class LeaseKeys:
    """KEYS of both lease scripts."""

    lease: str


@dataclass(frozen=True)
class AcquireArgs:
    """ARGV of ``lease_acquire.lua``."""

    owner: str
    ttl_ms: int


@dataclass(frozen=True)
class ReleaseArgs:
    """ARGV of ``lease_release.lua``."""

    owner: str


LEASE_ACQUIRE = LuaScript("livebuy.redis", "lease_acquire", LeaseKeys, AcquireArgs)
LEASE_RELEASE = LuaScript("livebuy.redis", "lease_release", LeaseKeys, ReleaseArgs)


class Lease:
    """One process's claim on ``key``; ``refresh(now)`` says whether it holds the lease."""

    def __init__(self, redis: Redis, key: str, ttl_ms: int) -> None:
        self.key = key
        self.ttl_ms = ttl_ms
        self.owner = secrets.token_hex(8)
        self.held = False
        self._renewed_at = 0
        self._acquire = LEASE_ACQUIRE.bind(redis)
        self._release = LEASE_RELEASE.bind(redis)

    async def refresh(self, now_ms: int) -> bool:
        """Take or renew the lease when due; returns whether this process holds it now."""
        if not self.held or now_ms - self._renewed_at >= self.ttl_ms // 3:
            self.held = bool(
                await self._acquire(LeaseKeys(self.key), AcquireArgs(self.owner, self.ttl_ms))
            )
            self._renewed_at = now_ms
        return self.held

    def expired(self, now_ms: int) -> bool:
        """Whether a lease we held has certainly run out (no renewal for a whole lease period)."""
        return now_ms - self._renewed_at >= self.ttl_ms

    def forget(self) -> None:
        """Stop counting the lease as ours (we learned it is lost); the next refresh asks Redis."""
        self.held = False

    async def release(self) -> None:
        """Give the lease up (at shutdown) so another process takes over at once."""
        if not self.held:
            return
        self.held = False
        try:
            await self._release(LeaseKeys(self.key), ReleaseArgs(self.owner))
        except RedisError:
            pass  # it expires by itself within ttl_ms
