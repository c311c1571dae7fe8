"""``wait_for_replicas`` on a single Redis with a real replica: it counts a replica only once the
replica has every write its master made, whichever pooled connection made them."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as sync_redis

from livebuy.processes import terminate
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import free_port, start_server, wait_until
from livebuy.redis.replication import wait_for_replicas
from tests.servers import TIMEOUT_S

WAIT_MS = 200


@pytest.fixture
def primary_and_replica(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A private redis-server and a second one replicating it: the first's URL, the second's pid."""
    primary_port, replica_port = free_port(), free_port()
    # A replica's first sync would wait 5 s for others to join it.
    primary = start_server(primary_port, tmp_path / "primary", "--repl-diskless-sync-delay", "0")
    replica = start_server(
        replica_port, tmp_path / "replica", "--replicaof", "127.0.0.1", str(primary_port)
    )
    try:
        wait_until(
            replica,
            replica_port,
            lambda client: client.info("replication")["master_link_status"] == "up",
            TIMEOUT_S,
        )
        yield f"redis://127.0.0.1:{primary_port}/0", replica.pid
    finally:
        terminate(replica, timeout_s=10)
        terminate(primary, timeout_s=10)


async def test_waits_for_the_replica_whichever_connection_wrote(
    primary_and_replica: tuple[str, int],
) -> None:
    """A replica that stopped is not counted for a write another connection made; once resumed,
    it is."""
    url, replica_pid = primary_and_replica
    writer = sync_redis.Redis.from_url(url)
    client = connect(url)
    marker = keys.replication_marker(0)
    try:
        assert await wait_for_replicas(client, marker, 1, int(TIMEOUT_S * 1000)) == 1
        os.kill(replica_pid, signal.SIGSTOP)
        try:
            writer.set("order", "confirmed")
            assert await wait_for_replicas(client, marker, 1, WAIT_MS) == 0
        finally:
            os.kill(replica_pid, signal.SIGCONT)
        assert await wait_for_replicas(client, marker, 1, int(TIMEOUT_S * 1000)) == 1
    finally:
        writer.close()
        await client.aclose()
