"""Rate limits: per client IP on the endpoints that create things (sessions, orders), and per
session on game actions (votes, giveaway entries, red-packet grabs), so a bot tapping faster than
a thumb is refused.

A token bucket per client (IP or session) and kind of request, in Redis (one Lua step, one key),
so every gateway process shares it. Which IP a request counts against is
``livebuy.api.client_ip``'s rule.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from livebuy.api.client_ip import ClientAddresses
from livebuy.errors import GameRateLimitedError, TooManyRequestsError
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript
from livebuy.services import services_of
from livebuy.settings import Settings


@dataclass(frozen=True)
class BucketKeys:
    """KEYS of ``rate_limit_take.lua``."""

    bucket: str


@dataclass(frozen=True)
class TakeArgs:
    """ARGV of ``rate_limit_take.lua``."""

    per_minute: int
    burst: int


RATE_LIMIT_TAKE = LuaScript("livebuy.api", "rate_limit_take", BucketKeys, TakeArgs)

Scope = Literal["sessions", "orders", "drop_entries"]


class RateLimiter:
    """Takes one request from a client's bucket per call; limits come from the settings."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._take = RATE_LIMIT_TAKE.bind(redis)
        self._limits: dict[Scope, tuple[int, int]] = {
            "sessions": (
                settings.security.rate_limit_sessions_per_minute,
                settings.security.rate_limit_sessions_burst,
            ),
            "orders": (
                settings.security.rate_limit_orders_per_minute,
                settings.security.rate_limit_orders_burst,
            ),
            # Lottery entries: the per-IP cap of a drop (one entry per session is the script's).
            "drop_entries": (
                settings.drops.drop_entries_per_minute,
                settings.drops.drop_entries_burst,
            ),
        }
        self._game_actions = (
            settings.games.game_actions_per_minute,
            settings.games.game_actions_burst,
        )
        self.addresses = ClientAddresses(settings.security.trusted_proxies)

    def limits(self, scope: Scope) -> bool:
        """Whether requests of ``scope`` are limited at all (``take`` counts them)."""
        return self._limits[scope][0] != 0

    async def take(self, scope: Scope, request: Request) -> None:
        """Count the request against its client's bucket.

        Raises:
            TooManyRequestsError: the bucket is empty; ``retry_after_s`` says when to retry.
        """
        per_minute, burst = self._limits[scope]
        if per_minute == 0:
            return
        wait_ms = await self._wait(
            keys.rate_limit(scope, self.addresses.of(request)), per_minute, burst
        )
        if wait_ms is not None:
            retry_after_s = _seconds(wait_ms)
            raise TooManyRequestsError(
                f"too many requests from your address: retry in {retry_after_s} s",
                retry_after_s=retry_after_s,
            )

    async def take_game_action(self, session_id: str) -> None:
        """Count one game action (vote, entry, grab) against the session's bucket.

        Raises:
            GameRateLimitedError: faster than ``game_actions_per_minute`` after the burst.
        """
        per_minute, burst = self._game_actions
        if per_minute == 0:
            return
        wait_ms = await self._wait(keys.game_actions_bucket(session_id), per_minute, burst)
        if wait_ms is not None:
            retry_after_s = _seconds(wait_ms)
            raise GameRateLimitedError(
                f"too many game actions from this session: retry in {retry_after_s} s",
                retry_after_s=retry_after_s,
            )

    async def _wait(self, bucket: str, per_minute: int, burst: int) -> int | None:
        """None if a token was taken, else the ms until the bucket has one."""
        allowed, wait_ms = await self._take(BucketKeys(bucket=bucket), TakeArgs(per_minute, burst))
        return None if int(allowed) else int(wait_ms)


def _seconds(wait_ms: int) -> int:
    return max(1, math.ceil(wait_ms / 1000))


def rate_limited(scope: Scope) -> Callable[[Request], Awaitable[None]]:
    """A dependency that counts the request against its client IP's limit for ``scope``."""

    async def dependency(request: Request) -> None:
        await services_of(request).rate_limiter.take(scope, request)

    return dependency


def install(app: FastAPI) -> None:
    """Answer refused requests with 429, the JSON error body and a ``Retry-After`` header."""

    @app.exception_handler(TooManyRequestsError)
    async def too_many(_: Request, error: TooManyRequestsError) -> JSONResponse:
        return JSONResponse(
            {"error": error.to_json()},
            status_code=error.http_status,
            headers={"Retry-After": str(error.details["retry_after_s"])},
        )
