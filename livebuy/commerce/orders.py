"""Orders: created, paid, cancelled and expired, each state change one Lua step in Redis."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from catalog.models import Money
from livebuy import metrics
from livebuy.clock import now_ms
from livebuy.commerce.deals import DealBook
from livebuy.commerce.models import Order, OrderLine, OrderList, OrderRequest, PaymentRequest
from livebuy.commerce.order_keys import pay_keys, release_keys
from livebuy.commerce.outbox import ORDERS_STREAM_MAXLEN, PaymentOutbox, charge_key
from livebuy.commerce.payment import PaymentGateway
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import (
    CouponRejectedError,
    DealNotActiveError,
    EmptyCartError,
    IdempotencyConflictError,
    IdempotencyKeyMissingError,
    InvalidInputError,
    LimitExceededError,
    OrderLineError,
    OrderNotFoundError,
    OrderStateError,
    OutOfStockError,
    PaymentDeclinedError,
    PaymentTimeoutError,
    ShowNotFoundError,
)
from livebuy.faults import Faults
from livebuy.redis import keys
from livebuy.redis.scripts import register

LIST_LIMIT = 50
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_LINE_ERRORS: dict[str, type[OrderLineError]] = {
    "out_of_stock": OutOfStockError,
    "deal_not_active": DealNotActiveError,
    "limit_exceeded": LimitExceededError,
}


@dataclass(frozen=True)
class OrderPolicy:
    """The knobs of ordering, from the settings."""

    hold_ms: int
    payment_lock_ms: int
    idempotency_ttl_ms: int
    max_line_quantity: int


def _order(fields: dict[str, str]) -> Order:
    currency = fields["currency"]
    lines = [
        OrderLine(
            sku=line["sku"],
            product_id=line["product_id"],
            name=line["name"],
            quantity=line["quantity"],
            unit_price=Money(amount=line["unit_price"], currency=line["currency"]),
            deal_id=line.get("deal_id"),
        )
        for line in orjson.loads(fields["lines"])
    ]
    status = fields["status"]
    return Order.model_validate(
        {
            "id": fields["id"],
            "status": status,
            "lines": lines,
            "subtotal": Money(amount=int(fields["subtotal"]), currency=currency),
            "discount": Money(amount=int(fields["discount"]), currency=currency),
            "total": Money(amount=int(fields["total"]), currency=currency),
            "coupon": fields.get("coupon") or None,
            "show_id": fields.get("show_id") or None,
            "deal_id": fields.get("deal_id") or None,
            "created_at": int(fields["created_at"]),
            "updated_at": int(fields["updated_at"]),
            "expires_at": int(fields["expires_at"]) if status == "pending_payment" else None,
            "paid_at": int(fields["paid_at"]) if fields.get("paid_at") else None,
            "payment_id": fields.get("payment_id") or None,
            "last_payment_error": fields.get("last_payment_error") or None,
            "refund_status": fields.get("refund_status") or None,
            "refund_id": fields.get("refund_id") or None,
        }
    )


class OrderService:
    """Creates and moves orders through pending_payment → paid / cancelled / expired."""

    def __init__(
        self,
        redis: Redis,
        skus: SkuDirectory,
        deals: DealBook,
        gateway: PaymentGateway,
        policy: OrderPolicy,
        outbox: PaymentOutbox,
        faults: Faults,
    ) -> None:
        self._redis = redis
        self._skus = skus
        self._deals = deals
        self._gateway = gateway
        self.policy = policy
        self.outbox = outbox
        self._faults = faults
        self._create = register(redis, "livebuy.commerce", "order_create")
        self._pay = register(redis, "livebuy.commerce", "order_pay")
        self._release = register(redis, "livebuy.commerce", "order_release")

    async def create(
        self, customer: str, idempotency_key: str | None, request: OrderRequest
    ) -> tuple[Order, bool]:
        """Reserve the units and create the order; returns it and whether this call created it.

        Raises:
            IdempotencyKeyMissingError, IdempotencyConflictError: key missing, or reused with
                another body.
            InvalidInputError: empty cart, quantity over the limit, mixed currencies.
            SkuNotFoundError: a line names an unknown SKU.
            OutOfStockError, DealNotActiveError, LimitExceededError: a line was refused
                (``line`` and ``sku`` name it).
            CouponRejectedError: the coupon does not apply.
        """
        if idempotency_key is None:
            raise IdempotencyKeyMissingError("the Idempotency-Key header is required")
        if not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise InvalidInputError(
                "Idempotency-Key must be 1-255 printable ASCII characters", field="Idempotency-Key"
            )
        if request.sku is not None:
            wanted = [(request.sku, request.quantity)]
        else:
            cart = cast(dict[str, str], await self._redis.hgetall(keys.cart(customer)))
            wanted = sorted((sku, int(quantity)) for sku, quantity in cart.items())
            if not wanted:
                raise EmptyCartError("the cart is empty", field="from_cart")
        lines: list[dict[str, Any]] = []
        for index, (sku, quantity) in enumerate(wanted):
            if quantity > self.policy.max_line_quantity:
                raise InvalidInputError(
                    f"line {index}: at most {self.policy.max_line_quantity} per line",
                    field="quantity",
                    line=index,
                    sku=sku,
                )
            info = await self._skus.get(sku)
            lines.append(
                {
                    "sku": sku,
                    "product_id": info.product_id,
                    "name": info.name,
                    "quantity": quantity,
                    "unit_price": info.price.amount,
                    "currency": info.price.currency,
                }
            )
        if len({line["currency"] for line in lines}) > 1:
            raise InvalidInputError("an order is paid in one currency; split the cart")
        deal_key, deal_started_at = "", ""
        if (
            request.show_id is not None
            and request.deal_id is None
            and not await self._redis.sismember(keys.shows_index(), request.show_id)
        ):
            raise ShowNotFoundError(f"unknown show '{request.show_id}'", show_id=request.show_id)
        if request.deal_id is not None and request.show_id is not None:
            deal = await self._deals.get(request.show_id, request.deal_id)
            if deal is None:
                raise DealNotActiveError(
                    f"deal '{request.deal_id}' is not running", line=0, sku=lines[0]["sku"]
                )
            deal_key, deal_started_at = deal.counters_key(), str(deal.started_at)
        body_hash = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
        order_id = secrets.token_hex(10)
        coupon = request.coupon or ""
        result = await self._create(
            keys=[
                keys.order_idempotency(customer, idempotency_key),
                keys.order(order_id),
                keys.customer_orders(customer),
                keys.order_expiries(),
                keys.orders_stream(),
                keys.stock_dirty(),
                keys.cart(customer),
                keys.show_state(request.show_id) if request.show_id else "",
                deal_key,
                keys.coupon(coupon) if coupon else "",
                keys.coupon_uses(coupon) if coupon else "",
                *(keys.inventory(line["sku"]) for line in lines),
            ],
            args=[
                now_ms(),
                order_id,
                customer,
                body_hash,
                self.policy.hold_ms,
                self.policy.idempotency_ttl_ms,
                orjson.dumps(lines).decode(),
                request.show_id or "",
                request.deal_id or "",
                deal_started_at,
                coupon,
                "1" if request.from_cart else "0",
                ORDERS_STREAM_MAXLEN,
                idempotency_key,
            ],
        )
        if result[0] == "error":
            raise _refusal(str(result[1]), int(result[2]), str(result[3]), lines)
        if int(result[2]) == 0:
            return await self.get(customer, str(result[1])), False
        metrics.ORDER_TRANSITIONS.labels("pending_payment").inc()
        flat = result[3]
        return _order(dict(zip(flat[::2], flat[1::2], strict=True))), True

    async def get(self, customer: str, order_id: str) -> Order:
        """One of the customer's orders.

        Raises:
            OrderNotFoundError: no such order, or not this customer's.
        """
        return _order(await self._fields(customer, order_id))

    async def recent(self, customer: str) -> OrderList:
        """The customer's latest orders, newest first."""
        ids = await self._redis.zrevrange(keys.customer_orders(customer), 0, LIST_LIMIT - 1)
        async with self._redis.pipeline(transaction=False) as pipe:
            for order_id in ids:
                await pipe.hgetall(keys.order(str(order_id)))
            rows: list[dict[str, str]] = await pipe.execute()
        return OrderList(items=[_order(row) for row in rows if row])

    async def pay(self, customer: str, order_id: str, card: PaymentRequest) -> Order:
        """Charge the order's total and commit its units as sold.

        The charge attempt is recorded with the payment lock, so a crash anywhere after ``begin``
        is settled later by reconciliation (see docs/commerce.md).

        Raises:
            OrderNotFoundError: no such order of this customer.
            OrderStateError: the order is not awaiting payment (paid, cancelled, expired), is
                being paid by another request, or was released while the gateway charged (the
                charge is then refunded).
            PaymentDeclinedError, PaymentTimeoutError: the gateway said no or did not answer;
                the reservation stays until it expires.
        """
        fields = await self._fields(customer, order_id)
        token = secrets.token_hex(8)
        began = await self._pay(
            keys=pay_keys(fields, with_lines=False),
            args=[
                "begin",
                now_ms(),
                token,
                self.policy.payment_lock_ms,
                "",
                ORDERS_STREAM_MAXLEN,
                "",
            ],
        )
        if began[0] == "error":
            raise OrderStateError(
                f"order {order_id} cannot be paid: {began[1]}", order_id=order_id, reason=began[1]
            )
        self._faults.hit("pay:after_begin")
        total = Money(amount=int(fields["total"]), currency=fields["currency"])
        charge = await self._gateway.charge(total, card, idempotency_key=charge_key(order_id))
        self._faults.hit("pay:after_charge")
        if charge.outcome != "approved":
            # A timeout may still have charged: the attempt then stays for reconciliation.
            keep_attempt = "1" if charge.outcome == "timeout" else "0"
            await self._pay(
                keys=pay_keys(fields, with_lines=False),
                args=[
                    "fail",
                    now_ms(),
                    token,
                    0,
                    charge.reason,
                    ORDERS_STREAM_MAXLEN,
                    keep_attempt,
                ],
            )
            if charge.outcome == "timeout":
                raise PaymentTimeoutError(charge.reason, order_id=order_id)
            raise PaymentDeclinedError(
                f"payment declined: {charge.reason}", order_id=order_id, reason=charge.reason
            )
        now = now_ms()
        committed = await self._pay(
            keys=pay_keys(fields, with_lines=True),
            args=[
                "commit",
                now,
                token,
                0,
                charge.payment_id,
                ORDERS_STREAM_MAXLEN,
                self.outbox.first_attempt_at(now),
            ],
        )
        if committed[0] == "error":
            if committed[1] == "refund_due":
                # The lock ran out while the gateway was charging and the order was released:
                # the money goes back (the outbox retries if this one attempt fails).
                await self.outbox.refund(order_id)
                raise OrderStateError(
                    f"order {order_id} was {committed[2]} while it was being paid; "
                    "the charge is refunded",
                    order_id=order_id,
                    reason=committed[2],
                )
            raise OrderStateError(
                f"order {order_id} is being paid by another request",
                order_id=order_id,
                reason="payment_in_progress",
            )
        self._faults.hit("pay:after_commit")
        metrics.ORDER_TRANSITIONS.labels("paid").inc()
        return await self.get(customer, order_id)

    async def cancel(self, customer: str, order_id: str) -> Order:
        """Cancel the order: its units return to stock, and a paid order is refunded.

        The refund is due from the cancelling step on; it is tried once here, and retried by the
        payments worker until the gateway confirms it, so the answer may say
        ``refund_status: pending``.

        Raises:
            OrderNotFoundError: no such order of this customer.
            OrderStateError: already cancelled or expired, or being paid right now.
        """
        fields = await self._fields(customer, order_id)
        now = now_ms()
        result = await self._run_release(fields, "cancel", now)
        if result[0] == "error":
            reason = str(result[1])
            message = f"order {order_id} cannot be cancelled: {reason}"
            if reason in ("cancelled", "expired"):
                message = f"order {order_id} is already {reason}"
            raise OrderStateError(
                message,
                order_id=order_id,
                reason=reason,
                refund_status=fields.get("refund_status") or None,
            )
        metrics.ORDER_TRANSITIONS.labels("cancelled").inc()
        if result[1] == "paid":
            self._faults.hit("cancel:after_release")
            await self.outbox.refund(order_id)
        return await self.get(customer, order_id)

    async def expire(self, order_id: str, now: int) -> bool:
        """Release an unpaid order whose hold is over; returns whether it expired now."""
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        if not fields:
            await self._redis.zrem(keys.order_expiries(), order_id)
            return False
        result = await self._run_release(fields, "expire", now)
        return bool(result[0] == "ok")

    async def due_for_expiry(self, now: int, limit: int) -> list[str]:
        """Ids of unpaid orders whose hold ended by ``now`` (oldest first)."""
        ids = await self._redis.zrangebyscore(keys.order_expiries(), 0, now, start=0, num=limit)
        return [str(order_id) for order_id in ids]

    async def _run_release(self, fields: dict[str, str], reason: str, now: int) -> Any:
        return await self._release(
            keys=release_keys(fields),
            args=[reason, now, ORDERS_STREAM_MAXLEN, self.outbox.first_attempt_at(now)],
        )

    async def _fields(self, customer: str, order_id: str) -> dict[str, str]:
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        if not fields or fields["customer"] != customer:
            raise OrderNotFoundError(f"unknown order '{order_id}'", order_id=order_id)
        return fields


def _refusal(code: str, line: int, detail: str, lines: list[dict[str, Any]]) -> Exception:
    if code == "idempotency_conflict":
        return IdempotencyConflictError(
            "this Idempotency-Key was used with a different request body"
        )
    if code == "coupon_rejected":
        return CouponRejectedError(f"coupon rejected: {detail}", reason=detail)
    sku = lines[line]["sku"] if 0 <= line < len(lines) else lines[0]["sku"]
    error = _LINE_ERRORS.get(code, OutOfStockError)
    return error(f"line {line} ({sku}): {code}: {detail}", line=line, sku=sku, reason=detail)
