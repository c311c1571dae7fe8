"""Typed calls of the order scripts: every key and argument by name, in this one place.

Every script runs in one Redis Cluster slot (docs/scaling.md "Commerce on a cluster"). Creating
an order is ``order_open.lua`` (the customer's slot), its holds (``order_holds``: stock per
bucket, the deal, the coupon), then ``order_confirm.lua`` (the customer's slot again). On a
single Redis, where every key is on the one server, ``order_create.lua`` runs those same scripts
in one call (one round trip instead of three or more, and no window between the steps);
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
from functools import cache
from typing import Any, Literal

import orjson
from redis.asyncio import Redis

from livebuy import metrics
from livebuy.commerce.order_holds import (
    HOLD_LIB,
    HoldRefused,
    OrderHolds,
    coupon_reserve,
    deal_reserve,
    stock_reserves,
    sync_keys,
)
from livebuy.commerce.order_holds import SALES_RECENT_KEEP_MS as SALES_RECENT_KEEP_MS
from livebuy.commerce.order_holds import DealCheck as DealCheck
from livebuy.commerce.order_keys import new_order_id, pay_keys, refund_keys, release_keys
from livebuy.errors import IdempotencyInProgressError, LivebuyError, refusal
from livebuy.faults import Faults
from livebuy.redis import keys
from livebuy.redis.lane import Script, lane_of, run_all
from livebuy.redis.scripts import lua_source, register
from livebuy.wallet.scripts import WALLET_LIB, register_with_wallet, wallet_keys

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
class NewOrder:
    """What ``OrderScripts.create`` makes an order of, and the keys and arguments of its
    customer-slot steps."""

    order_id: str
    now: int
    customer: str
    idempotency_key: str
    body_hash: str
    hold_ms: int
    idempotency_ttl_ms: int
    lines: list[dict[str, Any]]
    show_id: str
    deal: DealCheck | None
    coupon: str
    from_cart: bool
    use_credit: bool

    def open_keys(self) -> list[str]:
        """KEYS of ``order_open.lua``."""
        return [
            keys.order_idempotency(self.customer, self.idempotency_key),
            keys.order(self.order_id),
            keys.orders_sync(keys.customer_bucket(self.customer)),
        ]

    def open_args(self) -> list[Any]:
        """ARGV of ``order_open.lua``."""
        deal = self.deal
        return [
            self.now,
            self.order_id,
            self.customer,
            self.body_hash,
            self.idempotency_ttl_ms,
            orjson.dumps(self.lines).decode(),
            self.show_id,
            deal.deal_id if deal else "",
            str(deal.started_at) if deal else "",
            deal.counters_key if deal else "",
            self.coupon,
            self.idempotency_key,
            self.now + SYNC_GRACE_MS,
        ]

    def confirm_keys(self) -> list[str]:
        """KEYS of ``order_confirm.lua``."""
        bucket = keys.customer_bucket(self.customer)
        return [
            keys.order(self.order_id),
            keys.customer_orders(self.customer),
            keys.order_expiries(bucket),
            keys.orders_stream(bucket),
            keys.cart(self.customer),
            keys.orders_sync(bucket),
            *wallet_keys(self.customer),
        ]

    def confirm_args(self, priced_lines: str, discount: int, deal_units: int) -> list[Any]:
        """ARGV of ``order_confirm.lua``, with what the holds answered."""
        return [
            self.now,
            priced_lines,
            discount,
            deal_units,
            self.hold_ms,
            "1" if self.from_cart else "0",
            ORDERS_STREAM_MAXLEN,
            "1" if self.use_credit else "0",
        ]

    def sync_keys(self) -> list[str]:
        """KEYS of ``order_sync.lua``."""
        return sync_keys(
            {
                "id": self.order_id,
                "customer": self.customer,
                "idempotency_key": self.idempotency_key,
            }
        )


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
        # A single Redis (a client with a lane) makes an order in one script; a cluster cannot:
        # its steps' keys live in several slots.
        self._whole = Script(redis, whole_order_source()) if lane_of(redis) is not None else None
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
        On a single Redis this is one script (``order_create.lua``), else one step per slot.

        Raises:
            IdempotencyConflictError: the key was used with another body.
            IdempotencyInProgressError: the key's first request is still creating its order.
            OutOfStockError, DealNotActiveError, LimitExceededError, DealInLotteryError: a
                line was refused (``line`` and ``sku`` name it).
            CouponRejectedError: the coupon does not apply.
        """
        order = NewOrder(
            order_id=new_order_id(customer),
            now=now,
            customer=customer,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            hold_ms=hold_ms,
            idempotency_ttl_ms=idempotency_ttl_ms,
            lines=lines,
            show_id=show_id or "",
            deal=deal,
            coupon=coupon or "",
            from_cart=from_cart,
            use_credit=use_credit,
        )
        create = self._create_whole if self._whole is not None else self._create_in_steps
        started = time.perf_counter()
        try:
            for _ in range(3):
                made = await create(order)
                if isinstance(made, OrderCreated):
                    return made
                replayed = await self._replayed(made)
                if replayed is not None:
                    return replayed
                # The earlier request was refused meanwhile and freed the key: try afresh.
            raise IdempotencyInProgressError(_IN_PROGRESS)
        finally:
            self._create_latency.observe(time.perf_counter() - started)

    async def _create_whole(self, order: NewOrder) -> OrderCreated | str:
        """``create`` in one script on a single Redis: the order made, or the id of the order
        an earlier request with the same key made (``seen``)."""
        assert self._whole is not None
        layout: list[tuple[str, int, int]] = []
        script_keys: list[str] = []
        script_args: list[Any] = []

        def add(name: str, step_keys: list[str], step_args: list[Any]) -> None:
            layout.append((name, len(step_keys), len(step_args)))
            script_keys.extend(step_keys)
            script_args.extend(step_args)

        add("order_open", order.open_keys(), order.open_args())
        stock = stock_reserves(order.order_id, order.lines)
        for _, stock_keys, stock_args in stock:
            add("stock_hold", stock_keys, stock_args)
        if order.deal is not None:
            add(
                "deal_hold",
                *deal_reserve(order.deal, order.order_id, order.now, order.customer, order.lines),
            )
        if order.coupon:
            currency = order.lines[0]["currency"]
            # The subtotal at the deal's price is the script's to work out: 0 until then.
            add(
                "coupon_hold",
                *coupon_reserve(
                    order.coupon, order.order_id, order.now, order.customer, currency, 0
                ),
            )
        add("order_confirm", order.confirm_keys(), order.confirm_args("[]", 0, 0))
        add("order_sync", order.sync_keys(), [])
        raw = await self._whole(
            keys=script_keys, args=[orjson.dumps(layout).decode(), *script_args]
        )
        stage, reply = raw[0], Reply.of(raw[1])
        if stage == "opened":
            return self._seen(reply, order)
        if stage == "refused":
            code, line, detail = reply.value(0), int(reply.values[1]), reply.value(2)
            segment = int(raw[2])
            if segment > 0:
                # A stock step numbers the lines of its bucket only.
                line = stock[segment - 1][0][line][0]
            raise _create_refusal(code, line, detail, order.lines)
        return _confirmed(order, reply)

    async def _create_in_steps(self, order: NewOrder) -> OrderCreated | str:
        """``create`` one step per slot (a cluster): as ``_create_whole`` answers."""
        opened = Reply.of(await self._open(keys=order.open_keys(), args=order.open_args()))
        if opened.status != "ok":
            return self._seen(opened, order)
        try:
            reserved = await self.holds.reserve(
                now=order.now,
                order_id=order.order_id,
                customer=order.customer,
                lines=order.lines,
                deal=order.deal,
                coupon=order.coupon,
            )
        except HoldRefused as refused:
            await self.holds.give_back(order.order_id, order.now)
            raise _create_refusal(refused.code, refused.line, refused.detail, order.lines) from None
        self._faults.hit("create:after_reserve")
        confirmed = Reply.of(
            await self._confirm(
                keys=order.confirm_keys(),
                args=order.confirm_args(
                    orjson.dumps(reserved.lines).decode(), reserved.discount, reserved.deal_units
                ),
            )
        )
        if confirmed.status == "error":
            # The sync sweep gave the order up while its holds were being taken.
            await self.holds.sync(order.order_id, order.now, give_up_reserving=True)
        return _confirmed(order, confirmed)

    @staticmethod
    def _seen(opened: Reply, order: NewOrder) -> str:
        """The order id of an open that found the key used (``seen``).

        Raises:
            IdempotencyConflictError: the open refused (the key was used with another body).
        """
        if opened.status == "error":
            raise _create_refusal(opened.value(0), -1, "", order.lines)
        return opened.value(0)

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


def _confirmed(order: NewOrder, confirmed: Reply) -> OrderCreated:
    """The order a confirm step answered with its fields.

    Raises:
        OrderStateError: the sync sweep gave the order up while its holds were being taken.
    """
    if confirmed.status == "error":
        raise _create_refusal("aborted", -1, "", order.lines)
    flat = confirmed.values[0]
    fields = dict(zip(flat[::2], flat[1::2], strict=True))
    return OrderCreated(order_id=order.order_id, created=True, fields=fields)


# The steps order_create.lua runs, each put before it as a function ``step_<name>(KEYS, ARGV)``.
WHOLE_ORDER_STEPS = (
    "order_open",
    "stock_hold",
    "deal_hold",
    "coupon_hold",
    "order_confirm",
    "order_sync",
)


@cache
def whole_order_source() -> str:
    """``order_create.lua`` after the hold and wallet libraries and the steps it runs."""
    parts = [lua_source(*HOLD_LIB), lua_source(*WALLET_LIB)]
    for name in WHOLE_ORDER_STEPS:
        step = lua_source("livebuy.commerce", name)
        parts.append(f"local function step_{name}(KEYS, ARGV)\n{step}\nend\n")
    parts.append(lua_source("livebuy.commerce", "order_create"))
    return "".join(parts)


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
