"""Verified sessions kept in process memory: bounded in time and count, never past the bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from livebuy.errors import UnauthorizedError
from livebuy.redis import keys
from livebuy.sessions.cache import SessionCache
from livebuy.sessions.service import SessionService
from tests.servers import TIMEOUT_S, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
SECRET = "a-test-secret-of-some-length"


class Clock:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _service(redis: Redis, cache: SessionCache) -> SessionService:
    return SessionService(redis, SECRET, unused_ttl_s=600, ttl_s=3600, cache=cache)


async def test_a_deleted_or_expired_session_is_refused_once_the_cache_bound_passes(
    redis: Redis,
) -> None:
    """Within ``ttl_ms`` of its read a session is answered from memory; at the bound, refused."""
    clock = Clock()
    service = _service(redis, SessionCache(size=100, ttl_ms=2000, clock=clock))
    deleted = await service.create("Deleted")
    expired = await service.create("Expired")
    assert (await service.authenticate(deleted.token)).handle == deleted.handle
    assert (await service.authenticate(expired.token)).handle == expired.handle
    await redis.delete(keys.session(deleted.session_id))
    # An expiry time already past: Redis expires the key at once.
    await redis.pexpireat(keys.session(expired.session_id), 1)
    assert not await redis.exists(keys.session(expired.session_id))
    clock.now += 1.999
    assert (await service.authenticate(deleted.token)).session_id == deleted.session_id
    assert (await service.authenticate(expired.token)).session_id == expired.session_id
    clock.now += 0.001
    for token in (deleted.token, expired.token):
        with pytest.raises(UnauthorizedError, match="session expired"):
            await service.authenticate(token)


async def test_the_least_recently_used_session_leaves_a_full_cache(redis: Redis) -> None:
    """With room for two, a third session pushes out the one used longest ago."""
    service = _service(redis, SessionCache(size=2, ttl_ms=60_000))
    first, second, third = [await service.create(None) for _ in range(3)]
    for issued in (first, second, first, third):
        await service.authenticate(issued.token)
    for issued in (first, second, third):
        await redis.delete(keys.session(issued.session_id))
    assert (await service.authenticate(first.token)).session_id == first.session_id
    assert (await service.authenticate(third.token)).session_id == third.session_id
    with pytest.raises(UnauthorizedError):
        await service.authenticate(second.token)


async def test_a_bad_token_is_never_answered_from_the_cache(redis: Redis) -> None:
    """Only the exact token that was verified is cached: a changed signature is still 401."""
    service = _service(redis, SessionCache(size=100, ttl_ms=60_000))
    issued = await service.create(None)
    await service.authenticate(issued.token)
    forged = issued.token[:-1] + ("0" if issued.token[-1] != "0" else "1")
    with pytest.raises(UnauthorizedError, match="invalid session token"):
        await service.authenticate(forged)


async def test_a_server_refuses_a_deleted_session_within_the_cache_bound(
    make_server: MakeServer, redis: Redis
) -> None:
    """Over HTTP: a session deleted from Redis gets 401 ``unauthorized`` once its entry lapses."""
    server = await make_server(session_cache_ms=200)
    async with server.http() as client:
        issued = (await client.post("/api/sessions")).json()
        headers = {"Authorization": f"Bearer {issued['token']}"}
        assert (await client.get("/api/orders", headers=headers)).status_code == 200
        await redis.delete(keys.session(issued["session_id"]))
        deadline = time.monotonic() + TIMEOUT_S
        answer = await client.get("/api/orders", headers=headers)
        while answer.status_code == 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            answer = await client.get("/api/orders", headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthorized"
