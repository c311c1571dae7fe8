"""The gateway when Redis goes away: a clear close code, never a silent drop."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from livebuy.redis.embedded import EmbeddedRedis
from tests.servers import InProcessServer, receive_json, settings_for_tests


async def test_join_during_redis_outage_closes_1011(tmp_path: Path) -> None:
    """A viewer joining while Redis is down is closed with 1011 and a reason to reconnect."""
    redis = EmbeddedRedis(tmp_path)
    redis.start()
    server = InProcessServer(settings_for_tests(), redis.url)
    await server.start()
    try:
        async with connect(server.ws_url("spring-runway")) as ws:
            assert (await receive_json(ws))["type"] == "snapshot"
        redis.stop()
        async with connect(server.ws_url("spring-runway")) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await receive_json(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
        assert "reconnect" in closed.value.rcvd.reason
    finally:
        redis.stop()
        await server.stop()
