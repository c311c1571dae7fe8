"""The payments outbox: refunds owed and charge attempts, settled until the gateway agrees.

A refund becomes due in the same Lua step that makes it owed (a cancel of a paid order, a charge
that arrived after its order was released); a charge attempt is recorded in the same step that
takes the payment lock. Neither lives only in a request: the elected payments worker
(``payments_worker.py``) retries due refunds with capped exponential backoff and reconciles
attempts whose request vanished, asking the gateway by idempotency key. Every gateway call uses a
key derived from the order (``order:<id>``, ``refund:<id>``), so retries never move money twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from catalog.models import Money
from livebuy import metrics
from livebuy.clock import now_ms
from livebuy.commerce.order_scripts import OrderScripts, due_in_buckets
from livebuy.commerce.payment import PaymentGateway, RefundResult
from livebuy.faults import Faults
from livebuy.redis import keys

log = logging.getLogger(__name__)


def charge_key(order_id: str) -> str:
    """The idempotency key of the order's charge at the gateway."""
    return f"order:{order_id}"


def refund_key(order_id: str) -> str:
    """The idempotency key of the order's refund at the gateway."""
    return f"refund:{order_id}"


@dataclass(frozen=True)
class OutboxPolicy:
    """When refunds are retried and charge attempts reconciled."""

    payment_lock_ms: int
    reconcile_grace_ms: int
    retry_base_ms: int
    retry_max_ms: int


class PaymentOutbox:
    """Settles one due refund or one charge attempt at a time; safe to run from many places."""

    def __init__(
        self, redis: Redis, gateway: PaymentGateway, policy: OutboxPolicy, faults: Faults
    ) -> None:
        self._redis = redis
        self._gateway = gateway
        self.policy = policy
        self._faults = faults
        self._scripts = OrderScripts(redis)

    def first_attempt_at(self, now: int) -> int:
        """When the worker first looks at a refund made due at ``now``.

        The request that made it due tries it once inline first; the worker waits a little so
        the two do not race (racing would be harmless: both use the same idempotency key).
        """
        return now + self.policy.retry_base_ms

    async def due_refunds(self, now: int, limit: int) -> list[str]:
        """Ids of orders whose refund is due by ``now``, earliest first."""
        return await due_in_buckets(self._redis, keys.refunds_due, now, limit)

    async def due_attempts(self, now: int, limit: int) -> list[str]:
        """Ids of orders whose charge attempt began before its lock (and a grace) ran out."""
        cutoff = now - self.policy.payment_lock_ms - self.policy.reconcile_grace_ms
        return await due_in_buckets(self._redis, keys.charge_attempts, cutoff, limit)

    async def refund(self, order_id: str, now: int | None = None) -> str:
        """Try the order's due refund once; returns ``refunded``, ``failed`` or ``noop``.

        A failure (the gateway said no or raised) is recorded and scheduled for a retry; it is
        not raised, so a cancel answers with ``refund_status: pending`` instead of an error.
        """
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        if fields.get("refund_status") != "pending":
            await self._redis.zrem(keys.refunds_due(keys.order_bucket(order_id)), order_id)
            return "noop"
        # What the card paid; store credit went back to the wallet when the order was released.
        amount = Money(
            amount=int(fields.get("card_amount") or fields["total"]), currency=fields["currency"]
        )
        try:
            result = await self._gateway.refund(
                fields["payment_id"], amount, idempotency_key=refund_key(order_id)
            )
        except Exception as error:  # any provider failure is retried later, whatever its type
            log.warning("refund attempt failed", extra={"order_id": order_id}, exc_info=True)
            result = RefundResult("failed", reason=type(error).__name__)
        self._faults.hit("refund:after_gateway")
        at = now_ms() if now is None else now
        confirmed = result.outcome == "refunded"
        answer = await self._scripts.refund(
            order_id,
            "confirm" if confirmed else "retry",
            now=at,
            detail=result.refund_id if confirmed else result.reason,
            retry_base_ms=self.policy.retry_base_ms,
            retry_max_ms=self.policy.retry_max_ms,
        )
        if answer.status == "noop":
            return "noop"
        if confirmed:
            metrics.ORDER_TRANSITIONS.labels("refunded").inc()
            return "refunded"
        log.info(
            "refund will be retried",
            extra={"order_id": order_id, "reason": result.reason, "next_at": answer.value()},
        )
        return "failed"

    async def reconcile(self, order_id: str, now: int) -> str:
        """Settle a charge attempt whose request vanished, by what the gateway charged.

        Returns what happened: ``no_charge`` (attempt dropped), ``paid`` (the charge sold the
        order, now or earlier), ``refund_due`` (the order was released: the charge is refunded
        by the outbox), ``payment_in_progress`` (a newer attempt holds the lock) or
        ``unknown_order``.
        """
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        if not fields:
            await self._redis.zrem(keys.charge_attempts(keys.order_bucket(order_id)), order_id)
            return "unknown_order"
        payment_id = await self._gateway.lookup(charge_key(order_id))
        result = await self._scripts.pay(
            fields, "reconcile", now=now, payment_id=payment_id or "", extra=now
        )
        outcome = result.value()
        if outcome in ("paid", "refund_due", "no_charge"):
            log.info("charge attempt reconciled", extra={"order_id": order_id, "outcome": outcome})
        return outcome
