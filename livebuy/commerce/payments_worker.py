"""The payments worker: one process (lease-elected) retries due refunds and reconciles charges.

Every step it takes is idempotent (gateway calls carry the order's idempotency keys; the Lua
steps re-check the order), so a worker that stalls past its lease and overlaps its successor, or
crashes half-way, neither refunds twice nor loses a refund.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from redis.asyncio import Redis

from livebuy.clock import Clock, now_ms
from livebuy.commerce.outbox import PaymentOutbox
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.tasks import raise_if_cancelled

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


class PaymentsWorker:
    """Runs ``work_once`` every ``tick_ms`` while this process holds the payments lease."""

    def __init__(
        self,
        redis: Redis,
        outbox: PaymentOutbox,
        tick_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self._outbox = outbox
        self._tick_ms = tick_ms
        self._clock = clock
        self._lease = Lease(redis, keys.payments_worker_lease(), lease_ms)

    async def run(self) -> None:
        """Work while holding the lease; give it up when cancelled."""
        try:
            while True:
                try:
                    if await self._lease.refresh(self._clock()):
                        done = await work_once(self._outbox, self._clock())
                        if done.reconciled or done.refunded or done.retried:
                            log.info("payments worker pass", extra=vars(done))
                except Exception:  # Redis or gateway trouble: the next pass tries again
                    raise_if_cancelled()
                    log.exception("payments worker pass failed; retrying")
                await asyncio.sleep(self._tick_ms / 1000)
        finally:
            await self._lease.release()
