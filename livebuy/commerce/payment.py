"""The payment gateway interface and the built-in demo gateway.

Demo test cards (any future expiry, any CVC):

| card number        | result                                                        |
|--------------------|---------------------------------------------------------------|
| 4242424242424242   | approved                                                      |
| 5555555555554444   | approved                                                      |
| 4000000000005126   | approved; its first 3 refunds fail (``gateway_unavailable``)  |
| 4000000000000002   | declined (``card_declined``)                                  |
| 4000000000009995   | declined (``insufficient_funds``)                             |
| 4000000000000119   | the gateway times out (nothing charged)                       |
| 4000000000000259   | charged, but the answer is lost (the gateway times out)       |

Any other number is declined with ``unknown_test_card``.

The demo gateway keeps its ledger in Redis (``lb:{demo-gateway}:*``), so it behaves like a real
provider across processes and restarts: a charge or a refund is made once per idempotency key and
every later call with that key answers the first result.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

from redis.asyncio import Redis

from catalog.models import Money
from livebuy.clock import now_ms
from livebuy.commerce.models import PaymentRequest
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript


@dataclass(frozen=True)
class ChargeKeys:
    """KEYS of ``payment_charge.lua``."""

    charge: str
    payment: str
    log: str


@dataclass(frozen=True)
class ChargeArgs:
    """ARGV of ``payment_charge.lua``."""

    payment_id: str
    amount: int
    currency: str
    idempotency_key: str
    refund_failures: int
    now: int


@dataclass(frozen=True)
class RefundKeys:
    """KEYS of ``payment_refund.lua``."""

    refund: str
    payment: str
    log: str


@dataclass(frozen=True)
class RefundArgs:
    """ARGV of ``payment_refund.lua``."""

    refund_id: str
    amount: int
    idempotency_key: str
    now: int


PAYMENT_CHARGE = LuaScript("livebuy.commerce", "payment_charge", ChargeKeys, ChargeArgs)
PAYMENT_REFUND = LuaScript("livebuy.commerce", "payment_refund", RefundKeys, RefundArgs)


@dataclass(frozen=True)
class ChargeResult:
    """What the gateway said: approved with a payment id, declined with a reason, or no answer."""

    outcome: Literal["approved", "declined", "timeout"]
    payment_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    """What the gateway said about a refund: made (with its id) or failed (retry later)."""

    outcome: Literal["refunded", "failed"]
    refund_id: str = ""
    reason: str = ""


class PaymentGateway(Protocol):
    """What livebuy needs from a payment provider; every call is idempotent per key."""

    async def charge(
        self, amount: Money, card: PaymentRequest, idempotency_key: str
    ) -> ChargeResult:
        """Charge ``amount`` to the card once per ``idempotency_key``."""
        ...

    async def refund(self, payment_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        """Refund a charge in full, once per ``idempotency_key``."""
        ...

    async def lookup(self, idempotency_key: str) -> str | None:
        """The payment id of the charge made with ``idempotency_key``, or None if none was."""
        ...


APPROVE = {"4242424242424242", "5555555555554444"}
# Approved, but the provider fails its first refunds: the refund outbox's retries are visible.
REFUND_FAILS = {"4000000000005126": 3}
DECLINE = {"4000000000000002": "card_declined", "4000000000009995": "insufficient_funds"}
TIMEOUT = {"4000000000000119"}
# Charged, then the answer is lost: only reconciliation (``lookup``) learns of the charge.
CHARGED_TIMEOUT = {"4000000000000259"}


class DemoGateway:
    """A gateway without a provider: the card number decides the outcome (see the module doc)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._charge = PAYMENT_CHARGE.bind(redis)
        self._refund = PAYMENT_REFUND.bind(redis)

    async def charge(
        self, amount: Money, card: PaymentRequest, idempotency_key: str
    ) -> ChargeResult:
        """The outcome the test card stands for; approved charges are made once per key.

        A key that already charged answers that first charge, whatever the card. Declines and
        plain timeouts charge nothing, so they are not remembered: the same key may then be
        charged with another card.
        """
        charged = await self.lookup(idempotency_key)
        if charged is not None:
            return ChargeResult("approved", payment_id=charged)
        number = card.card_number
        if number in TIMEOUT:
            return ChargeResult("timeout", reason="the payment gateway did not answer")
        if number not in APPROVE and number not in REFUND_FAILS and number not in CHARGED_TIMEOUT:
            return ChargeResult("declined", reason=DECLINE.get(number, "unknown_test_card"))
        candidate = f"demo_pay_{secrets.token_hex(8)}"
        payment_id, _created = await self._charge(
            ChargeKeys(
                charge=keys.demo_gateway_charge(idempotency_key),
                payment=keys.demo_gateway_payment(candidate),
                log=keys.demo_gateway_log(),
            ),
            ChargeArgs(
                payment_id=candidate,
                amount=amount.amount,
                currency=amount.currency,
                idempotency_key=idempotency_key,
                refund_failures=REFUND_FAILS.get(number, 0),
                now=now_ms(),
            ),
        )
        if number in CHARGED_TIMEOUT:
            return ChargeResult("timeout", reason="the payment gateway did not answer")
        return ChargeResult("approved", payment_id=str(payment_id))

    async def refund(self, payment_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        """Refund the payment in full once per key; the refund-failing card fails at first."""
        outcome, detail = await self._refund(
            RefundKeys(
                refund=keys.demo_gateway_refund(idempotency_key),
                payment=keys.demo_gateway_payment(payment_id),
                log=keys.demo_gateway_log(),
            ),
            RefundArgs(
                refund_id=f"demo_refund_{secrets.token_hex(8)}",
                amount=amount.amount,
                idempotency_key=idempotency_key,
                now=now_ms(),
            ),
        )
        if outcome == "refunded":
            return RefundResult("refunded", refund_id=str(detail))
        return RefundResult("failed", reason=str(detail))

    async def lookup(self, idempotency_key: str) -> str | None:
        """The payment a charge with this key made, if any."""
        payment_id = await self._redis.get(keys.demo_gateway_charge(idempotency_key))
        return None if payment_id is None else str(payment_id)
