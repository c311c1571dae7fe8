"""Shared fixtures: one real redis-server per test session, flushed before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from redis.asyncio import Redis

from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from tests import slot_guard
from tests.servers import InProcessServer, LiveServer, ProcessServer, settings_for_tests

# Tests assert behaviour, never timing: hypothesis's default deadline (200 ms per example) failed a
# correct property test on a loaded machine. Each test keeps its own max_examples.
hypothesis_settings.register_profile("livebuy", deadline=None)
hypothesis_settings.load_profile("livebuy")


def pytest_configure(config: pytest.Config) -> None:
    """Every Redis step of the suite is checked for keys in one slot (see tests/slot_guard.py)."""
    if slot_guard.MODE != "off":
        config.stash[_GUARD_UNDO] = slot_guard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the slot guard's wrappers."""
    undo = config.stash.get(_GUARD_UNDO, None)
    if undo is not None:
        undo()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List every cross-slot step the run made (pending rekey ones too)."""
    if slot_guard.violations:
        terminalreporter.section("cross-slot steps (slot guard)")
        terminalreporter.write_line(slot_guard.summary())


_GUARD_UNDO = pytest.StashKey[Callable[[], None]]()


@pytest.fixture(autouse=True)
def _slot_guard() -> Iterator[None]:
    """Fails the test if livebuy made a step a Redis Cluster would refuse, even one it caught."""
    before = len(slot_guard.violations)
    yield
    new = slot_guard.violations[before:]
    if new and slot_guard.MODE == "strict":
        pytest.fail(
            "cross-slot steps (a Redis Cluster refuses them):\n"
            + "\n".join(v.describe() for v in new),
            pytrace=False,
        )


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


@pytest.fixture
async def laneless_redis(redis: Redis, redis_server: EmbeddedRedis) -> AsyncIterator[Redis]:
    """A client on the same flushed database without a lane: services built on it take the
    steps a cluster takes (an order created slot by slot, not in one script)."""
    client = Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def make_server(
    redis_server: EmbeddedRedis, redis: Redis
) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """Factory: ``await make_server(processes=False, **settings)`` starts a real server on a free port.

    In-process servers share the test's event loop; ``process=True`` starts ``python -m livebuy
    serve`` as a separate OS process. All are stopped at the end of the test.
    """
    started: list[InProcessServer | ProcessServer] = []

    async def start(*, process: bool = False, **overrides: Any) -> LiveServer:
        settings = settings_for_tests(**overrides)
        server: InProcessServer | ProcessServer
        if process:
            server = ProcessServer(settings, redis_server.url)
        else:
            server = InProcessServer(settings, redis_server.url)
        started.append(server)
        await server.start()
        return server

    yield start
    for server in reversed(started):
        await server.stop()
