"""The payments worker: one process (lease-elected) retries due refunds and reconciles charges.

Every step it takes is idempotent (gateway calls carry the order's idempotency keys; the Lua
steps re-check the order), so a worker that stalls past its lease and overlaps its successor, or
crashes half-way, neither refunds twice nor loses a refund.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis

from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.commerce.outbox import PaymentOutbox
from livebuy.redis import keys
from livebuy.redis.lease import Lease

log = logging.getLogger(__name__)

BATCH = 100


@dataclass
class WorkerPass:
    """What one pass did."""

    reconciled: int = 0
    refunded: int = 0
    retried: int = 0


async def work_once(outbox: PaymentOutbox, now: int) -> WorkerPass:
    """Reconcile every stale charge attempt, then try every refund due by ``now`` once."""
    done = WorkerPass()
    for order_id in await outbox.due_attempts(now, BATCH):
        if await outbox.reconcile(order_id, now) != "payment_in_progress":
            done.reconciled += 1
    for order_id in await outbox.due_refunds(now, BATCH):
        outcome = await outbox.refund(order_id, now)
        done.refunded += outcome == "refunded"
        done.retried += outcome == "failed"
    return done


def payments_loop(
    redis: Redis, outbox: PaymentOutbox, tick_ms: int, lease_ms: int, clock: Clock = now_ms
) -> ElectedLoop:
    """Runs ``work_once`` every ``tick_ms`` while this process holds the payments lease.

    Any error is retried (Redis or payment-gateway trouble): the next pass tries again.
    """

    async def work() -> None:
        done = await work_once(outbox, clock())
        if done.reconciled or done.refunded or done.retried:
            log.info("payments worker pass", extra=vars(done))

    return ElectedLoop(
        "payments-worker",
        Lease(redis, keys.payments_worker_lease(), lease_ms),
        work,
        tick_ms / 1000,
        clock=clock,
    )
