"""Shared fixtures: one real redis-server per test session, flushed before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis

# Every wait for an event in the suite is scaled by this one constant (slow CI machines raise it).
TIMEOUT_S = 10.0


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A real redis-server on a free loopback port for the whole session."""
    server = EmbeddedRedis(Path(tmp_path_factory.mktemp("redis")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[Redis]:
    """A client on the session's redis-server; the database is flushed before each test."""
    client = connect(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()
