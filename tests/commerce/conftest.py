"""Fixtures of the commerce tests that crash things."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from livebuy.redis.embedded import EmbeddedRedis


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[EmbeddedRedis]:
    """A redis-server of this test alone (it is killed), fsyncing every write like production."""
    server = EmbeddedRedis(tmp_path / "redis", appendfsync="always")
    server.start()
    yield server
    server.stop()
