"""Orders: created, paid, cancelled and expired, each state change one Lua step in Redis."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from catalog.models import Money
from livebuy import metrics
from livebuy.clock import now_ms
from livebuy.commerce.deals import RunningDeal
from livebuy.commerce.models import Order, OrderList, OrderRequest, PaymentRequest
from livebuy.commerce.order_scripts import DealCheck, OrderScripts, Reply, due_in_buckets
from livebuy.commerce.outbox import PaymentOutbox, charge_key
from livebuy.commerce.payment import ChargeResult, PaymentGateway
from livebuy.commerce.show_watch import ShowWatch
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import (
    DealNotActiveError,
    EmptyCartError,
    IdempotencyKeyMissingError,
    InvalidInputError,
    LivebuyError,
    NotReplicatedError,
    OrderNotFoundError,
    PaymentDeclinedError,
    PaymentTimeoutError,
    ShowNotFoundError,
    refusal,
)
from livebuy.events.state import deal_location, lottery_location
from livebuy.faults import Faults
from livebuy.redis import keys
from livebuy.redis.lane import run
from livebuy.redis.replication import wait_for_replicas

log = logging.getLogger(__name__)
ReleaseListener = Callable[[dict[str, str]], Awaitable[None]]

LIST_LIMIT = 50
# The payment id of an order the wallet paid in full (no card was charged).
WALLET_PAYMENT_ID = "wallet"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Refusals made only after every stock hold was taken (the deal's limit, the coupon).
_PAST_STOCK = frozenset({"limit_exceeded", "coupon_rejected"})
_UNMADE = frozenset({"reserving", "aborted"})
# Looked up once: ``labels()`` takes a lock and builds a key on every call, and every buy counts.
_CREATED = metrics.ORDER_TRANSITIONS.labels("pending_payment")


@dataclass(frozen=True)
class OrderPolicy:
    """The knobs of ordering, from the settings."""

    hold_ms: int
    payment_lock_ms: int
    idempotency_ttl_ms: int
    max_line_quantity: int
    # Store credit an order gave back lives at least this long after the return.
    credit_return_grace_ms: int = 0
    # Replicas that must hold a new order before it is answered (0: none; see redis/replication).
    wait_replicas: int = 0
    wait_timeout_ms: int = 500


def card_amount(fields: dict[str, str]) -> int:
    """What the card pays of the order: the total less the store credit it used."""
    return int(fields.get("card_amount") or fields["total"])


def _body_hash(request: OrderRequest) -> str:
    """What an Idempotency-Key's record keeps of its request, to tell a replay from a reuse."""
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


# An order in the shape of its answer: ``Order``'s fields in their order, as JSON values.
OrderData = dict[str, Any]


def order_data(fields: dict[str, str]) -> OrderData:
    """The answer for a stored order's ``fields``: ``orjson.dumps`` of it is the bytes
    ``Order``'s serialiser writes for ``_order(fields)`` (``tests/commerce/test_order_data.py``),
    so the buy's fast path answers without building the model."""
    currency = fields["currency"]

    def money(amount: int | str) -> dict[str, Any]:
        return {"amount": int(amount), "currency": currency}

    lines = [
        {
            "sku": line["sku"],
            "product_id": line["product_id"],
            "name": line["name"],
            "quantity": line["quantity"],
            "unit_price": {"amount": line["unit_price"], "currency": line["currency"]},
            "deal_id": line.get("deal_id"),
        }
        for line in orjson.loads(fields["lines"])
    ]
    status = fields["status"]
    return {
        "id": fields["id"],
        "status": status,
        "lines": lines,
        "subtotal": money(fields["subtotal"]),
        "discount": money(fields["discount"]),
        "total": money(fields["total"]),
        "credit_used": money(fields.get("credit_used") or 0),
        "card_amount": money(card_amount(fields)),
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


def _order(fields: dict[str, str]) -> Order:
    # Plain data validated in one pass (pydantic-core): building each Money and OrderLine in
    # Python cost more than the validation itself.
    return Order.model_validate(order_data(fields))


class OrderService:
    """Creates and moves orders through pending_payment → paid / cancelled / expired."""

    def __init__(
        self,
        redis: Redis,
        skus: SkuDirectory,
        watch: ShowWatch,
        gateway: PaymentGateway,
        policy: OrderPolicy,
        outbox: PaymentOutbox,
        faults: Faults,
    ) -> None:
        self._redis = redis
        self._skus = skus
        self._watch = watch
        self._gateway = gateway
        self.policy = policy
        self.outbox = outbox
        self._faults = faults
        self._scripts = OrderScripts(redis, faults)
        # Told (with the order's fields) when an unpaid order is cancelled or expires: a lottery
        # drop passes the unit on to its waitlist at once instead of at the hold's end.
        self.release_listeners: list[ReleaseListener] = []

    def held_refused(self, request: OrderRequest) -> bool:
        """Whether the sold-out gate holds this one-item buy refused (process memory only,
        nothing renewed: a lapsed flag's probe is left to ``create``).

        The gate refuses only a key that made no order, which is one Redis read: a caller that
        also reads the session reads both in one round trip (``replay_record``) and passes the
        answer to ``create`` as ``replayable``.
        """
        return (
            request.sku is not None
            and request.show_id is not None
            and self._watch.follows(request.show_id)
            and self._watch.gate.holds_refused(request.show_id, request.sku, request.deal_id)
        )

    def replay_record(self, customer: str, idempotency_key: str | None) -> str | None:
        """The key of the record an Idempotency-Key's order leaves (``None``: no valid key)."""
        if idempotency_key is None or not _IDEMPOTENCY_KEY.match(idempotency_key):
            return None
        return keys.order_idempotency(customer, idempotency_key)

    async def create(
        self,
        customer: str,
        idempotency_key: str | None,
        request: OrderRequest,
        *,
        replayable: bool | None = None,
    ) -> tuple[Order, bool]:
        """Reserve the units and create the order; returns it and whether this call created it
        (``create_data``'s answer as the model; raises what it raises)."""
        data, created = await self.create_data(
            customer, idempotency_key, request, replayable=replayable
        )
        return Order.model_validate(data), created

    async def create_data(
        self,
        customer: str,
        idempotency_key: str | None,
        request: OrderRequest,
        *,
        replayable: bool | None = None,
    ) -> tuple[OrderData, bool]:
        """Reserve the units and create the order; returns its answer (``order_data``) and
        whether this call created it.

        ``replayable``: whether the key's record (``replay_record``) existed, read by the caller
        with the session; ``None``: the gate reads it itself when it needs it.

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
                replayed = await self._replayed(customer, idempotency_key, request)
                if replayed is not None:
                    return replayed, False
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
        if request.show_id is not None and request.deal_id is None:
            if not await self._redis.sismember(keys.shows_index(), request.show_id):
                raise ShowNotFoundError(
                    f"unknown show '{request.show_id}'", show_id=request.show_id
                )
            await self._watch.follow(request.show_id)
        deal_check = None
        deal = None
        if request.deal_id is not None and request.show_id is not None:
            deal = await self._watch.deal(request.show_id, request.deal_id)
            if deal is None:
                replayed = await self._replayed(customer, idempotency_key, request)
                if replayed is not None:
                    return replayed, False
                raise DealNotActiveError(
                    f"deal '{request.deal_id}' is not running", line=0, sku=lines[0]["sku"]
                )
            state_key, state_field = deal_location(request.show_id, request.deal_id)
            deal_check = DealCheck(
                deal_id=request.deal_id,
                state_key=state_key,
                state_field=state_field,
                started_at=deal.started_at,
                counters_key=deal.counters_key(),
                lottery_field=lottery_location(request.show_id, request.deal_id)[1],
            )
        await self._gate(customer, idempotency_key, request.show_id, lines, deal, replayable)
        try:
            created = await self._scripts.create(
                now=now_ms(),
                customer=customer,
                idempotency_key=idempotency_key,
                body_hash=_body_hash(request),
                hold_ms=self.policy.hold_ms,
                idempotency_ttl_ms=self.policy.idempotency_ttl_ms,
                lines=lines,
                show_id=request.show_id,
                deal=deal_check,
                coupon=request.coupon,
                from_cart=request.from_cart,
                use_credit=request.use_credit,
            )
        except LivebuyError as error:
            if request.show_id is not None and self._watch.follows(request.show_id):
                if error.code in _PAST_STOCK:
                    self._watch.gate.accepted(request.show_id, lines, request.deal_id)
                else:
                    self._watch.gate.refused(request.show_id, request.deal_id, error)
            raise
        await self._replicated(created.order_id)
        if not created.created:
            # A replay answers before any stock check: it says nothing of stock now.
            return order_data(await self._fields(customer, created.order_id)), False
        if request.show_id is not None and self._watch.follows(request.show_id):
            self._watch.gate.accepted(request.show_id, lines, request.deal_id)
        _CREATED.inc()
        return order_data(created.fields), True

    async def _replayed(
        self, customer: str, idempotency_key: str, request: OrderRequest
    ) -> OrderData | None:
        """The order an earlier request with this key and body made, for a request about to be
        refused by what it names now (the cart its checkout emptied, the deal that ended since):
        a retry must get its order back, as it would from the order script."""
        made = await self._scripts.replayed(customer, idempotency_key, _body_hash(request))
        if made is None:
            return None
        await self._replicated(made.order_id)
        return order_data(await self._fields(customer, made.order_id))

    async def _replicated(self, order_id: str) -> None:
        """With ``wait_replicas``, return only once that many replicas hold the order (a replay
        waits too: its first answer may have been this error).

        Raises:
            NotReplicatedError: fewer replicas confirmed it within ``wait_timeout_ms``.
        """
        wanted = self.policy.wait_replicas
        if wanted == 0:
            return
        marker = keys.replication_marker(keys.order_bucket(order_id))
        confirmed = await wait_for_replicas(
            self._redis, marker, wanted, self.policy.wait_timeout_ms
        )
        if confirmed < wanted:
            raise NotReplicatedError(
                f"the order is saved but {confirmed} of {wanted} replicas confirmed it: "
                "retry with the same Idempotency-Key",
                order_id=order_id,
                retry_after_ms=self.policy.wait_timeout_ms,
            )

    async def _gate(
        self,
        customer: str,
        idempotency_key: str,
        show_id: str | None,
        lines: list[dict[str, Any]],
        deal: RunningDeal | None,
        replayable: bool | None,
    ) -> None:
        """Refuse, before the order script, a buy of what this process knows is sold out.

        Only for a show whose stream this process follows (its frames clear the flags); only
        where the script would answer ``out_of_stock`` too (a deal order's deal runs and every
        line is its product in its currency, else the script says ``deal_not_active`` first);
        and only if the key has not made an order: a retried request that already bought gets
        its order back from the script, as idempotency promises, even once the item sold out.
        """
        if show_id is None or not self._watch.follows(show_id):
            return
        if deal is not None and not (
            deal.running(now_ms())
            and all(
                line["product_id"] == deal.product_id
                and line["currency"] == deal.deal_price.currency
                for line in lines
            )
        ):
            return
        error = self._watch.gate.refusal(show_id, lines, deal.deal_id if deal else None)
        if error is None:
            return
        if replayable is None:
            replayable = bool(
                await run(self._redis, "EXISTS", keys.order_idempotency(customer, idempotency_key))
            )
        if replayable:
            return
        metrics.SOLD_OUT_GATE_REFUSALS.inc()
        raise error

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
        began = await self._scripts.pay(
            fields, "begin", now=now_ms(), token=token, lock_ms=self.policy.payment_lock_ms
        )
        if began.status == "error":
            reason = began.value()
            message = f"order {order_id} cannot be paid: {reason}"
            raise refusal(reason, message, order_id=order_id, reason=reason)
        self._faults.hit("pay:after_begin")
        to_charge = Money(amount=card_amount(fields), currency=fields["currency"])
        if to_charge.amount == 0:
            # Store credit paid it all: nothing to charge, the same commit sells the order.
            charge = ChargeResult("approved", payment_id=WALLET_PAYMENT_ID)
        else:
            charge = await self._gateway.charge(
                to_charge, card, idempotency_key=charge_key(order_id)
            )
        self._faults.hit("pay:after_charge")
        if charge.outcome != "approved":
            # A timeout may still have charged: the attempt then stays for reconciliation.
            keep_attempt = "1" if charge.outcome == "timeout" else "0"
            await self._scripts.pay(
                fields,
                "fail",
                now=now_ms(),
                token=token,
                payment_id=charge.reason,
                extra=keep_attempt,
            )
            if charge.outcome == "timeout":
                raise PaymentTimeoutError(charge.reason, order_id=order_id)
            raise PaymentDeclinedError(
                f"payment declined: {charge.reason}", order_id=order_id, reason=charge.reason
            )
        now = now_ms()
        committed = await self._scripts.pay(
            fields,
            "commit",
            now=now,
            token=token,
            payment_id=charge.payment_id,
            extra=self.outbox.first_attempt_at(now),
        )
        if committed.status == "error":
            if committed.value() == "refund_due":
                # The lock ran out while the gateway was charging and the order was released:
                # the money goes back (the outbox retries if this one attempt fails).
                await self.outbox.refund(order_id)
                released = committed.value(1)
                message = f"order {order_id} was {released} while it was being paid; "
                raise refusal(
                    "refund_due",
                    message + "the charge is refunded",
                    order_id=order_id,
                    reason=released,
                )
            raise refusal(
                committed.value(),
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
        if result.status == "error":
            reason = result.value()
            message = f"order {order_id} cannot be cancelled: {reason}"
            if reason in ("cancelled", "expired"):
                message = f"order {order_id} is already {reason}"
            raise refusal(
                reason,
                message,
                order_id=order_id,
                reason=reason,
                refund_status=fields.get("refund_status") or None,
            )
        metrics.ORDER_TRANSITIONS.labels("cancelled").inc()
        await self._released(fields)
        if result.value() == "paid":
            self._faults.hit("cancel:after_release")
            await self.outbox.refund(order_id)
        return await self.get(customer, order_id)

    async def expire(self, order_id: str, now: int) -> bool:
        """Release an unpaid order whose hold is over; returns whether it expired now."""
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        if not fields:
            await self._redis.zrem(keys.order_expiries(keys.order_bucket(order_id)), order_id)
            return False
        result = await self._run_release(fields, "expire", now)
        if result.status == "ok":
            await self._released(fields)
        return result.status == "ok"

    async def _released(self, fields: dict[str, str]) -> None:
        for listener in self.release_listeners:
            try:
                await listener(fields)
            except Exception:
                # A listener only speeds things up (the drop also looks at its holds on time):
                # its failure must not turn a done cancel or expiry into an error.
                log.exception("order release listener failed", extra={"order_id": fields["id"]})

    async def due_for_expiry(self, now: int, limit: int) -> list[str]:
        """Ids of at most ``limit`` unpaid orders whose hold ended by ``now``, every bucket's."""
        return await due_in_buckets(self._redis, keys.order_expiries, now, limit)

    async def _run_release(self, fields: dict[str, str], reason: str, now: int) -> Reply:
        refund_first_at = self.outbox.first_attempt_at(now)
        return await self._scripts.release(
            fields,
            reason=reason,
            now=now,
            refund_first_at=refund_first_at,
            return_grace_ms=self.policy.credit_return_grace_ms,
        )

    async def due_for_sync(self, now: int, limit: int) -> list[str]:
        """Ids of at most ``limit`` orders whose holds may lag their status, due by ``now``."""
        return await due_in_buckets(self._redis, keys.orders_sync, now, limit)

    async def sync(self, order_id: str, now: int) -> str:
        """Bring the order's holds in line with its status (an order whose request vanished
        while it was ``reserving`` is given up first); returns the status synced to."""
        return await self._scripts.holds.sync(order_id, now, give_up_reserving=True)

    async def _fields(self, customer: str, order_id: str) -> dict[str, str]:
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        # An order still being created, or given up, is nobody's order yet.
        if not fields or fields["customer"] != customer or fields["status"] in _UNMADE:
            raise OrderNotFoundError(f"unknown order '{order_id}'", order_id=order_id)
        return fields
