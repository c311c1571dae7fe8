"""One real three-master Redis Cluster for the session, and livebuy servers on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from livebuy.redis.connection import connect
from tests.cluster_fixture import EmbeddedCluster


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """Three masters on free loopback ports, no replicas, for the whole session."""
    cluster = EmbeddedCluster(Path(tmp_path_factory.mktemp("cluster")))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def cluster_client(redis_cluster: EmbeddedCluster) -> AsyncIterator[Redis]:
    """livebuy's cluster client on the session's cluster (not flushed: servers share it)."""
    client = connect(redis_cluster.url, cluster=True)
    yield client
    await client.aclose()
