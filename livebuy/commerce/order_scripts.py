"""Typed calls of the order scripts: every key and argument by name, in this one place.

``order_create.lua``, ``order_pay.lua``, ``order_release.lua`` and ``order_refund.lua`` take
their keys and arguments by position; these wrappers are the only code that knows the positions.
Refusals become errors through ``livebuy.errors.SCRIPT_REFUSALS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import orjson
from redis.asyncio import Redis

from livebuy import metrics
from livebuy.commerce.order_keys import (
    dirty_key,
    new_order_id,
    pay_keys,
    refund_keys,
    release_keys,
)
from livebuy.errors import LivebuyError, refusal
from livebuy.redis import keys
from livebuy.redis.scripts import register
from livebuy.wallet.scripts import register_with_wallet, wallet_keys

# Order events kept for downstream consumers: plenty for any lag, bounded in memory.
ORDERS_STREAM_MAXLEN = 100_000
# How long a paid unit stays in a show's recent sales (the sales velocity window's upper bound).
SALES_RECENT_KEEP_MS = 10 * 60_000

PayAction = Literal["begin", "fail", "commit", "reconcile"]
RefundAction = Literal["confirm", "retry"]


@dataclass(frozen=True)
class Reply:
    """A script's answer: ``status`` (``ok``, ``noop`` or ``error``) and what follows it."""

    status: str
    values: list[Any]

    @classmethod
    def of(cls, raw: Any) -> Reply:
        """The reply of a script returning ``{status, ...}``."""
        return cls(status=str(raw[0]), values=list(raw[1:]))

    def value(self, index: int = 0) -> str:
        """The ``index``-th value after the status, as text (``""`` when absent)."""
        return str(self.values[index]) if index < len(self.values) else ""


@dataclass(frozen=True)
class DealCheck:
    """What ``order_create.lua`` checks, atomically, for a deal order: the show's state says the
    deal runs (the run that started at ``started_at``), and its counters have units left."""

    deal_id: str
    state_key: str
    state_field: str
    started_at: int
    counters_key: str
    # The state field of the deal's lottery (refused ``deal_in_lottery`` while it runs); empty:
    # no such check (a lottery winner's own order).
    lottery_field: str = ""


@dataclass(frozen=True)
class OrderCreated:
    """A new order (``created``) or the one an earlier request with the same key created."""

    order_id: str
    created: bool
    fields: dict[str, str]


class OrderScripts:
    """The four order scripts, called by name."""

    def __init__(self, redis: Redis) -> None:
        self._create = register_with_wallet(redis, "livebuy.commerce", "order_create")
        self._create_latency = metrics.REDIS_SCRIPT_SECONDS.labels("order_create")
        self._pay = register(redis, "livebuy.commerce", "order_pay")
        self._release = register_with_wallet(redis, "livebuy.commerce", "order_release")
        self._refund = register(redis, "livebuy.commerce", "order_refund")

    async def create(
        self,
        *,
        now: int,
        customer: str,
        idempotency_key: str,
        body_hash: str,
        hold_ms: int,
        idempotency_ttl_ms: int,
        lines: list[dict[str, Any]],
        show_id: str | None,
        deal: DealCheck | None,
        coupon: str | None,
        from_cart: bool,
        use_credit: bool = False,
    ) -> OrderCreated:
        """Reserve the lines' units and create the order, in one step; ``use_credit`` lets the
        customer's store credit pay what it can of the total in that same step.

        Raises:
            IdempotencyConflictError: the key was used with another body.
            OutOfStockError, DealNotActiveError, LimitExceededError, DealInLotteryError: a
                line was refused (``line`` and ``sku`` name it).
            CouponRejectedError: the coupon does not apply.
        """
        coupon = coupon or ""
        order_id = new_order_id(customer)
        bucket = keys.customer_bucket(customer)
        started = time.perf_counter()
        raw = await self._create(
            keys=[
                keys.order_idempotency(customer, idempotency_key),
                keys.order(order_id),
                keys.customer_orders(customer),
                keys.order_expiries(bucket),
                keys.orders_stream(bucket),
                dirty_key([line["sku"] for line in lines]),
                keys.cart(customer),
                deal.state_key if deal else "",
                deal.counters_key if deal else "",
                keys.coupon(coupon) if coupon else "",
                keys.coupon_uses(coupon) if coupon else "",
                *wallet_keys(customer),
                *(keys.inventory(line["sku"]) for line in lines),
            ],
            args=[
                now,
                order_id,
                customer,
                body_hash,
                hold_ms,
                idempotency_ttl_ms,
                orjson.dumps(lines).decode(),
                show_id or "",
                deal.deal_id if deal else "",
                str(deal.started_at) if deal else "",
                coupon,
                "1" if from_cart else "0",
                ORDERS_STREAM_MAXLEN,
                idempotency_key,
                deal.state_field if deal else "",
                "1" if use_credit else "0",
                deal.lottery_field if deal else "",
            ],
        )
        self._create_latency.observe(time.perf_counter() - started)
        reply = Reply.of(raw)
        if reply.status == "error":
            raise _create_refusal(reply.value(0), int(reply.values[1]), reply.value(2), lines)
        if int(reply.values[1]) == 0:
            return OrderCreated(order_id=reply.value(0), created=False, fields={})
        flat = reply.values[2]
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        return OrderCreated(order_id=reply.value(0), created=True, fields=fields)

    async def pay(
        self,
        fields: dict[str, str],
        action: PayAction,
        *,
        now: int,
        token: str = "",
        lock_ms: int = 0,
        payment_id: str = "",
        extra: str | int = "",
    ) -> Reply:
        """One step of paying: ``begin`` (take the lock), ``fail``, ``commit`` or ``reconcile``.

        ``payment_id`` is the charge (or the decline reason on ``fail``); ``extra`` is whether a
        failed attempt is kept (``fail``) or when a refund made due is first tried.
        """
        raw = await self._pay(
            keys=pay_keys(fields, with_lines=action in ("commit", "reconcile")),
            args=[
                action,
                now,
                token,
                lock_ms,
                payment_id,
                ORDERS_STREAM_MAXLEN,
                extra,
                SALES_RECENT_KEEP_MS,
            ],
        )
        return Reply.of(raw)

    async def release(
        self,
        fields: dict[str, str],
        *,
        reason: str,
        now: int,
        refund_first_at: int,
        return_grace_ms: int = 0,
    ) -> Reply:
        """Cancel or expire the order: its units, deal units, coupon use and store credit go back.

        Returned credit keeps the expiry it had, but lives at least ``return_grace_ms`` more.
        """
        raw = await self._release(
            keys=release_keys(fields),
            args=[reason, now, ORDERS_STREAM_MAXLEN, refund_first_at, return_grace_ms],
        )
        return Reply.of(raw)

    async def refund(
        self,
        order_id: str,
        action: RefundAction,
        *,
        now: int,
        detail: str,
        retry_base_ms: int,
        retry_max_ms: int,
    ) -> Reply:
        """Record a refund: ``confirm`` (``detail``: refund id) or ``retry`` (``detail``: why)."""
        raw = await self._refund(
            keys=refund_keys(order_id),
            args=[
                action,
                now,
                order_id,
                detail,
                retry_base_ms,
                retry_max_ms,
                ORDERS_STREAM_MAXLEN,
            ],
        )
        return Reply.of(raw)


async def due_in_buckets(
    redis: Redis, set_key: Callable[[int], str], until: int, limit: int
) -> list[str]:
    """At most ``limit`` order ids scored up to ``until`` in one order set of every bucket
    (expiries, refunds due, charge attempts), read in one pipelined round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        for bucket in keys.order_buckets():
            await pipe.zrangebyscore(set_key(bucket), 0, until, start=0, num=limit)
        replies = cast(list[list[str]], await pipe.execute())
    return [str(order_id) for ids in replies for order_id in ids][:limit]


def _create_refusal(code: str, line: int, detail: str, lines: list[dict[str, Any]]) -> LivebuyError:
    if code == "idempotency_conflict":
        return refusal(code, "this Idempotency-Key was used with a different request body")
    if code == "coupon_rejected":
        return refusal(code, f"coupon rejected: {detail}", reason=detail)
    sku = lines[line]["sku"] if 0 <= line < len(lines) else lines[0]["sku"]
    message = f"line {line} ({sku}): {code}: {detail}"
    return refusal(code, message, line=line, sku=sku, reason=detail)
