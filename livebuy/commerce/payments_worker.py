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
# With nothing due, the worker sleeps until the earliest refund or reconciliation due, at most
# this long: a refund queued meanwhile (a cancellation, on any process) starts within it.
IDLE_MAX_S = 1.0


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

    rest_s: list[float | None] = [None]

    async def work() -> None:
        now = clock()
        done = await work_once(outbox, now)
        if done.reconciled or done.refunded or done.retried:
            log.info("payments worker pass", extra=vars(done))
            rest_s[0] = None
            return
        rest_s[0] = await _until_due(redis, outbox, now)

    return ElectedLoop(
        "payments-worker",
        Lease(redis, keys.payments_worker_lease(), lease_ms),
        work,
        tick_ms / 1000,
        idle=lambda: rest_s[0],
        max_idle_s=IDLE_MAX_S,
        clock=clock,
    )


async def _until_due(redis: Redis, outbox: PaymentOutbox, now: int) -> float | None:
    """Seconds until the earliest refund or stale charge attempt falls due (None: one is due)."""
    async with redis.pipeline(transaction=False) as pipe:
        for bucket in keys.order_buckets():
            await pipe.zrange(keys.refunds_due(bucket), 0, 0, withscores=True)
            await pipe.zrange(keys.charge_attempts(bucket), 0, 0, withscores=True)
        firsts = await pipe.execute()
    stale_after = outbox.policy.payment_lock_ms + outbox.policy.reconcile_grace_ms
    dues = [float(refund[0][1]) for refund in firsts[0::2] if refund]
    dues += [float(attempt[0][1]) + stale_after for attempt in firsts[1::2] if attempt]
    rest_s = (min(dues, default=float("inf")) - now) / 1000
    return None if rest_s <= 0 else rest_s
