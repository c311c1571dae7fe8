"""The embedded redis-server used by the demo and the tests."""

from __future__ import annotations

from pathlib import Path

from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis


async def test_embedded_redis_persists_with_aof(tmp_path: Path) -> None:
    """Data written before a clean shutdown is there after a restart (AOF on)."""
    server = EmbeddedRedis(tmp_path)
    server.start()
    client = connect(server.url)
    await client.set("k", "v")
    await client.aclose()
    server.stop()
    server.start()
    client = connect(server.url)
    assert await client.get("k") == "v"
    assert (await client.info("persistence"))["aof_enabled"] == 1
    await client.aclose()
    server.stop()
