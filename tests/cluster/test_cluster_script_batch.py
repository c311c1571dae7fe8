"""An order's independent hold steps sent together on a real cluster: routed per node, NOSCRIPT reloads."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.redis.test_run_together import check_run_together


async def test_script_calls_of_several_slots_run_together_on_a_cluster(
    cluster_client: Redis,
) -> None:
    """On three masters: replies in order, each call once, flushed script caches reloaded."""
    await check_run_together(cluster_client)
