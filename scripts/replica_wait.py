"""What LIVEBUY_REDIS_WAIT_REPLICAS=1 costs an order, on a real six-node Redis Cluster on loopback.

    PYTHONPATH=. .venv/bin/python scripts/replica_wait.py --rounds 2000

Starts three masters with a replica each (the test suite's EmbeddedCluster), then times, from one
asyncio cluster client: a plain write to a customer bucket's slot (what an order's answer waits
for without the setting), and ``wait_for_replicas`` on that slot (the marker write and ``WAIT 1``
in one round trip: what it waits for with the setting). The difference is the window in which an
order answered without the setting exists on its master only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.replication import wait_for_replicas
from tests.cluster_fixture import EmbeddedCluster


def summary(name: str, samples: list[float]) -> str:
    """p50 / p99 / max of ``samples`` (seconds) in microseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:<36} p50 {statistics.median(ordered) * 1e6:7.0f} µs"
        f"   p99 {p99 * 1e6:7.0f} µs   max {ordered[-1] * 1e6:7.0f} µs"
    )


async def measure(url: str, rounds: int) -> None:
    """Time ``rounds`` plain writes and ``rounds`` waits for one replica, interleaved."""
    client = connect(url, cluster=True)
    marker = keys.replication_marker(0)
    plain: list[float] = []
    waited: list[float] = []
    try:
        await client.set(marker, 0)
        for index in range(rounds):
            started = time.perf_counter()
            await client.set(marker, index)
            plain.append(time.perf_counter() - started)
            started = time.perf_counter()
            confirmed = await wait_for_replicas(client, marker, 1, 1000)
            waited.append(time.perf_counter() - started)
            assert confirmed >= 1, "the replica did not confirm within 1 s"
    finally:
        await client.aclose()
    print(summary("write (answer without WAIT)", plain))
    print(summary("marker write + WAIT 1 (with it)", waited))


def main() -> None:
    """Start the cluster, measure, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        cluster = EmbeddedCluster(Path(data_dir), replicas=1)
        cluster.start()
        try:
            asyncio.run(measure(cluster.url, args.rounds))
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
