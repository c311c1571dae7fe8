"""Waiting for replicas: making an acknowledged write survive its master's failover.

Redis replicates asynchronously: a master answers a write before its replicas have it, so a
master that dies right after answering takes the write with it when a replica is promoted.
``WAIT n timeout`` closes that window for the writes before it, at the cost of one round trip
to the replicas. ``appendfsync always`` does not: it makes a write survive the master's own
restart, not a promotion of a replica that never received it.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from livebuy.clock import now_ms

# The marker only has to exist while a WAIT is in flight.
MARKER_TTL_MS = 60_000


async def wait_for_replicas(redis: Redis, marker: str, replicas: int, timeout_ms: int) -> int:
    """Wait (at most ``timeout_ms``) until ``replicas`` replicas of the master serving
    ``marker``'s slot hold every write that master acknowledged so far; returns how many do.

    Which writes ``WAIT`` covers depends on the Redis version: recent ones count only the
    writes of the connection it runs on, and a pooled client may pick one that wrote nothing
    (``WAIT`` then answers at once). So the same connection first writes ``marker``: a replica
    that has the marker has every write its master made before it, on any version.
    On a cluster, both commands go to the marker's master in one pipeline (one connection).

    Raises:
        redis.exceptions.RedisError: the master is unreachable or failing over (an outage).
    """
    target: dict[str, Any] = {}
    # livebuy types its client as Redis; connect() may have made a RedisCluster (no common base).
    client: Any = redis
    if isinstance(client, RedisCluster):
        # WAIT names no key: it is sent to the node that serves the marker's slot.
        target["target_nodes"] = client.get_node_from_key(marker)
    async with redis.pipeline(transaction=False) as pipe:
        await pipe.set(marker, now_ms(), px=MARKER_TTL_MS)
        await pipe.execute_command("WAIT", replicas, timeout_ms, **target)
        _, acknowledged = await pipe.execute()
    return int(acknowledged)
