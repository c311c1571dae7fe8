"""Typed calls of the order scripts: every key and argument by name, in this one place.

Every script runs in one Redis Cluster slot (docs/scaling.md "Commerce on a cluster"). Creating
an order is ``order_open.lua`` (the customer's slot), its holds (``order_holds``: stock per
bucket, the deal, the coupon), then ``order_confirm.lua`` (the customer's slot again);
``order_pay.lua``, ``order_release.lua`` and ``order_refund.lua`` decide in the customer's slot
and the holds follow (``OrderHolds.sync``). The scripts take their keys and arguments by
position; these wrappers are the only code that knows the positions. Refusals become errors
through ``livebuy.errors.SCRIPT_REFUSALS``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from redis.asyncio import Redis

from livebuy import metrics
from livebuy.commerce.order_holds import SALES_RECENT_KEEP_MS as SALES_RECENT_KEEP_MS
from livebuy.commerce.order_holds import DealCheck as DealCheck
from livebuy.commerce.order_holds import HoldRefused, OrderHolds
from livebuy.commerce.order_keys import new_order_id, pay_keys, refund_keys, release_keys
from livebuy.errors import IdempotencyInProgressError, LivebuyError, refusal
from livebuy.faults import Faults
from livebuy.redis import keys
from livebuy.redis.lane import run_all
from livebuy.redis.scripts import register
from livebuy.wallet.scripts import register_with_wallet, wallet_keys

# Order events kept for downstream consumers: plenty for any lag, bounded in memory.
ORDERS_STREAM_MAXLEN = 100_000
# An order still 'reserving' this long after it was opened lost its request: the sync sweep
# gives it up (its holds come back). Far above any request's few round trips.
SYNC_GRACE_MS = 30_000
# When the sync sweep looks at a paid or released order whose holds its request did not bring
# in line (a crash right after the deciding step); the request itself does it at once.
SYNC_LATER_MS = 5_000
_IN_PROGRESS = "the first request with this Idempotency-Key is still creating its order; retry"
# A retry waits for the first request with its Idempotency-Key to finish creating the order:
# polls 10 ms apart, doubling to 200 ms, 10 s in all (a loaded process can take seconds).
REPLAY_WAIT_S = 10.0
REPLAY_POLL_S = 0.01
REPLAY_POLL_MAX_S = 0.2

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
class OrderCreated:
    """A new order (``created``) or the one an earlier request with the same key created."""

    order_id: str
    created: bool
    fields: dict[str, str]


class OrderScripts:
    """The order scripts, called by name, and the holds that follow them."""

    def __init__(self, redis: Redis, faults: Faults | None = None) -> None:
        self._redis = redis
        self._faults = faults or Faults()
        self._open = register(redis, "livebuy.commerce", "order_open")
        self._confirm = register_with_wallet(redis, "livebuy.commerce", "order_confirm")
        self._create_latency = metrics.REDIS_SCRIPT_SECONDS.labels("order_create")
        self.holds = OrderHolds(redis)
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
        """Reserve the lines' units and create the order; ``use_credit`` lets the customer's
        store credit pay what it can of the total in the confirming step.

        Open (claims the Idempotency-Key), reserve every hold, confirm; a refused hold gives up
        the order and releases what was taken, so a refusal changes no stock and frees the key.

        Raises:
            IdempotencyConflictError: the key was used with another body.
            IdempotencyInProgressError: the key's first request is still creating its order.
            OutOfStockError, DealNotActiveError, LimitExceededError, DealInLotteryError: a
                line was refused (``line`` and ``sku`` name it).
            CouponRejectedError: the coupon does not apply.
        """
        coupon = coupon or ""
        order_id = new_order_id(customer)
        bucket = keys.customer_bucket(customer)
        started = time.perf_counter()
        try:
            for _ in range(3):
                opened = Reply.of(
                    await self._open(
                        keys=[
                            keys.order_idempotency(customer, idempotency_key),
                            keys.order(order_id),
                            keys.orders_sync(bucket),
                        ],
                        args=[
                            now,
                            order_id,
                            customer,
                            body_hash,
                            idempotency_ttl_ms,
                            orjson.dumps(lines).decode(),
                            show_id or "",
                            deal.deal_id if deal else "",
                            str(deal.started_at) if deal else "",
                            deal.counters_key if deal else "",
                            coupon,
                            idempotency_key,
                            now + SYNC_GRACE_MS,
                        ],
                    )
                )
                if opened.status == "error":
                    raise _create_refusal(opened.value(0), -1, "", lines)
                if opened.status != "seen":
                    break
                replayed = await self._replayed(opened.value(0))
                if replayed is not None:
                    return replayed
                # The earlier request was refused meanwhile and freed the key: try afresh.
            else:
                raise IdempotencyInProgressError(_IN_PROGRESS)
            try:
                reserved = await self.holds.reserve(
                    now=now,
                    order_id=order_id,
                    customer=customer,
                    lines=lines,
                    deal=deal,
                    coupon=coupon,
                )
            except HoldRefused as refused:
                await self.holds.give_back(order_id, now)
                raise _create_refusal(refused.code, refused.line, refused.detail, lines) from None
            self._faults.hit("create:after_reserve")
            confirmed = Reply.of(
                await self._confirm(
                    keys=[
                        keys.order(order_id),
                        keys.customer_orders(customer),
                        keys.order_expiries(bucket),
                        keys.orders_stream(bucket),
                        keys.cart(customer),
                        keys.orders_sync(bucket),
                        *wallet_keys(customer),
                    ],
                    args=[
                        now,
                        orjson.dumps(reserved.lines).decode(),
                        reserved.discount,
                        reserved.deal_units,
                        hold_ms,
                        "1" if from_cart else "0",
                        ORDERS_STREAM_MAXLEN,
                        "1" if use_credit else "0",
                    ],
                )
            )
            if confirmed.status == "error":
                # The sync sweep gave the order up while its holds were being taken.
                await self.holds.sync(order_id, now, give_up_reserving=True)
                raise _create_refusal("aborted", -1, "", lines)
        finally:
            self._create_latency.observe(time.perf_counter() - started)
        flat = confirmed.values[0]
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        return OrderCreated(order_id=order_id, created=True, fields=fields)

    async def replayed(
        self, customer: str, idempotency_key: str, body_hash: str
    ) -> OrderCreated | None:
        """The order the key made, without opening one: ``None`` if the key made none (or its
        request was refused); waits for it while it is being made, as a replay in ``create``.

        Raises:
            IdempotencyConflictError: the key was used with another body.
            IdempotencyInProgressError: the key's first request is still creating its order.
        """
        seen = await self._redis.hmget(
            keys.order_idempotency(customer, idempotency_key), ["hash", "order_id"]
        )
        if seen[0] is None:
            return None
        if seen[0] != body_hash:
            raise _create_refusal("idempotency_conflict", -1, "", [])
        return await self._replayed(str(seen[1]))

    async def _replayed(self, order_id: str) -> OrderCreated | None:
        """The order an earlier request with the same key made, once it is made; ``None`` if
        that request was refused (the key is free again)."""
        # Its first request takes a few round trips; a wait far longer means it died (the sync
        # sweep gives its order up after SYNC_GRACE_MS, freeing the key).
        waited, pause = 0.0, REPLAY_POLL_S
        for _ in range(1000):
            status = await self._redis.hget(keys.order(order_id), "status")
            if status != "reserving":
                break
            if waited >= REPLAY_WAIT_S:
                raise IdempotencyInProgressError(_IN_PROGRESS)
            await asyncio.sleep(pause)
            waited, pause = waited + pause, min(pause * 2, REPLAY_POLL_MAX_S)
        if status in (None, "aborted"):
            return None
        return OrderCreated(order_id=order_id, created=False, fields={})

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
            keys=pay_keys(fields["id"]),
            args=[
                action,
                now,
                token,
                lock_ms,
                payment_id,
                ORDERS_STREAM_MAXLEN,
                extra,
                now + SYNC_LATER_MS,
            ],
        )
        reply = Reply.of(raw)
        if reply.status == "ok" and reply.value() == "paid":
            await self.holds.sync(fields["id"], now)
        return reply

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
            args=[
                reason,
                now,
                ORDERS_STREAM_MAXLEN,
                refund_first_at,
                return_grace_ms,
                now + SYNC_LATER_MS,
            ],
        )
        reply = Reply.of(raw)
        if reply.status == "ok":
            await self.holds.sync(fields["id"], now)
        return reply

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
    (expiries, refunds due, charge attempts), read in one round trip (``run_all``)."""
    replies = await run_all(
        redis,
        *(
            ("ZRANGEBYSCORE", set_key(bucket), 0, until, "LIMIT", 0, limit)
            for bucket in keys.order_buckets()
        ),
    )
    return [str(order_id) for ids in replies for order_id in ids][:limit]


def _create_refusal(code: str, line: int, detail: str, lines: list[dict[str, Any]]) -> LivebuyError:
    if code == "idempotency_conflict":
        return refusal(code, "this Idempotency-Key was used with a different request body")
    if code == "aborted":
        return refusal(code, "the order was given up while it was being made; retry", reason=code)
    if code == "coupon_rejected":
        return refusal(code, f"coupon rejected: {detail}", reason=detail)
    sku = lines[line]["sku"] if 0 <= line < len(lines) else lines[0]["sku"]
    message = f"line {line} ({sku}): {code}: {detail}"
    return refusal(code, message, line=line, sku=sku, reason=detail)
