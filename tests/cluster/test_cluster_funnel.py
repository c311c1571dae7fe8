"""The order funnel's batched script calls on a real cluster: every key in the show's slot."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from tests.analytics.test_funnel_orders import check_batches_count_as_orders_one_by_one


async def test_a_batch_of_order_changes_counts_on_a_cluster(cluster_client: Redis) -> None:
    """On three masters (no lane: redis-py's routing), the same figures as on one Redis."""
    # The cluster is shared and not flushed: a show of its own.
    await check_batches_count_as_orders_one_by_one(cluster_client, f"batch-{uuid.uuid4().hex}")
