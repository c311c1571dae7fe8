"""livebuy's Redis Cluster client on a real three-master cluster: a fresh client's first burst."""

from __future__ import annotations

import redis as sync_redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from livebuy.redis.connection import connect
from tests.cluster_fixture import EmbeddedCluster


def _moved_errors(cluster: EmbeddedCluster) -> int:
    """MOVED replies every node has sent since its stats were last reset."""
    total = 0
    for port in cluster.ports:
        client = sync_redis.Redis(port=port, decode_responses=True)
        try:
            stats = client.info("errorstats")
        finally:
            client.close()
        total += int(stats.get("errorstat_MOVED", {}).get("count", 0))
    return total


def _reset_stats(cluster: EmbeddedCluster) -> None:
    for port in cluster.ports:
        client = sync_redis.Redis(port=port)
        try:
            client.config_resetstat()
        finally:
            client.close()


async def test_fresh_client_sends_each_script_to_its_keys_master(
    redis_cluster: EmbeddedCluster,
) -> None:
    """A process's first commands are a concurrent burst of script calls (the catalog load at
    start-up): each goes to its key's master, none is redirected with MOVED (redis-py sent them
    all to one node before it knew the slots, then closed every connection in use after a few
    MOVED, and the start-up failed with 'Connection closed')."""
    _reset_stats(redis_cluster)
    client = connect(redis_cluster.url, cluster=True)
    try:
        await load_catalog(client, load_demo_catalog())
    finally:
        await client.aclose()
    assert _moved_errors(redis_cluster) == 0
