"""The card a viewer saves to bid: bidding needs one, and the winner is charged with it."""

from __future__ import annotations

from pydantic import BaseModel
from redis.asyncio import Redis

from livebuy.commerce.models import PaymentRequest
from livebuy.redis import keys


class SavedPaymentMethod(BaseModel):
    """What the owner sees of a saved card (never the full number)."""

    last4: str
    expiry_month: int
    expiry_year: int


def public_view(card: PaymentRequest) -> SavedPaymentMethod:
    """The saved card as its owner is shown it."""
    return SavedPaymentMethod(
        last4=card.card_number[-4:], expiry_month=card.expiry_month, expiry_year=card.expiry_year
    )


class PaymentMethods:
    """Saved cards per customer (session) in Redis.

    The demo gateway takes test card numbers; a real provider would give a token to keep here.
    """

    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s

    async def save(self, customer: str, card: PaymentRequest) -> SavedPaymentMethod:
        """Save (or replace) the customer's card."""
        await self._redis.set(keys.payment_method(customer), card.model_dump_json(), ex=self._ttl_s)
        return public_view(card)

    async def get(self, customer: str) -> PaymentRequest | None:
        """The customer's saved card, if any."""
        raw = await self._redis.get(keys.payment_method(customer))
        return None if raw is None else PaymentRequest.model_validate_json(raw)

    async def remove(self, customer: str) -> bool:
        """Forget the card; returns whether there was one."""
        return bool(await self._redis.delete(keys.payment_method(customer)))
