"""Per-client-IP rate limits on the endpoints that create things (sessions, orders).

A token bucket per client IP and endpoint, in Redis (one Lua step, one key), so every gateway
process shares it. The client IP is the socket peer; ``X-Forwarded-For`` is believed only from a
configured trusted proxy, and then the right-most address no trusted proxy claims is the client
(everything left of it was written by the client itself and can be anything).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from livebuy.errors import TooManyRequestsError
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
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(peer: str, forwarded_for: list[str], trusted: list[Network]) -> str:
    """The address a request is counted against.

    Args:
        peer: the socket peer's address.
        forwarded_for: every ``X-Forwarded-For`` header value, in order.
        trusted: networks of the proxies whose ``X-Forwarded-For`` is believed.
    """

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in trusted)

    peer_address = _address(peer)
    if peer_address is None or not is_trusted(peer_address):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    client = peer_address
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Garbage where a trusted proxy should have written an address: count the last
            # address known to be real rather than a name the client chose.
            break
        client = address
        if not is_trusted(address):
            break
    return str(client)


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
        self._trusted = [
            ipaddress.ip_network(proxy, strict=False) for proxy in settings.security.trusted_proxies
        ]

    async def take(self, scope: Scope, request: Request) -> None:
        """Count the request against its client's bucket.

        Raises:
            TooManyRequestsError: the bucket is empty; ``retry_after_s`` says when to retry.
        """
        per_minute, burst = self._limits[scope]
        if per_minute == 0:
            return
        peer = request.client.host if request.client else ""
        ip = client_ip(peer, request.headers.getlist("x-forwarded-for"), self._trusted)
        allowed, wait_ms = await self._take(
            BucketKeys(bucket=keys.rate_limit(scope, ip)), TakeArgs(per_minute, burst)
        )
        if not int(allowed):
            retry_after_s = max(1, math.ceil(int(wait_ms) / 1000))
            raise TooManyRequestsError(
                f"too many requests from your address: retry in {retry_after_s} s",
                retry_after_s=retry_after_s,
            )


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
