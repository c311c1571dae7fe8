"""The payment gateway interface and the built-in demo gateway.

Demo test cards (any future expiry, any CVC):

| card number        | result                               |
|--------------------|--------------------------------------|
| 4242424242424242   | approved                             |
| 5555555555554444   | approved                             |
| 4000000000000002   | declined (``card_declined``)         |
| 4000000000009995   | declined (``insufficient_funds``)    |
| 4000000000000119   | the gateway times out (nothing charged) |

Any other number is declined with ``unknown_test_card``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

from catalog.models import Money
from livebuy.commerce.models import PaymentRequest


@dataclass(frozen=True)
class ChargeResult:
    """What the gateway said: approved with a payment id, declined with a reason, or no answer."""

    outcome: Literal["approved", "declined", "timeout"]
    payment_id: str = ""
    reason: str = ""


class PaymentGateway(Protocol):
    """What livebuy needs from a payment provider; charges are idempotent per ``idempotency_key``."""

    async def charge(
        self, amount: Money, card: PaymentRequest, idempotency_key: str
    ) -> ChargeResult:
        """Charge ``amount`` to the card once per ``idempotency_key``."""
        ...

    async def refund(self, payment_id: str, amount: Money) -> str:
        """Refund a charge in full; returns the refund id."""
        ...


APPROVE = {"4242424242424242", "5555555555554444"}
DECLINE = {"4000000000000002": "card_declined", "4000000000009995": "insufficient_funds"}
TIMEOUT = {"4000000000000119"}


class DemoGateway:
    """A gateway without a provider: the card number decides the outcome (see the module doc)."""

    async def charge(
        self, amount: Money, card: PaymentRequest, idempotency_key: str
    ) -> ChargeResult:
        """The outcome the test card stands for."""
        if card.card_number in APPROVE:
            return ChargeResult("approved", payment_id=f"demo_pay_{secrets.token_hex(8)}")
        if card.card_number in TIMEOUT:
            return ChargeResult("timeout", reason="the payment gateway did not answer")
        return ChargeResult("declined", reason=DECLINE.get(card.card_number, "unknown_test_card"))

    async def refund(self, payment_id: str, amount: Money) -> str:
        """Refunds always succeed in the demo."""
        return f"demo_refund_{secrets.token_hex(8)}"
