"""Coupons: their terms live in a Redis hash the order script reads and counts atomically."""

from __future__ import annotations

from redis.asyncio import Redis

from livebuy.commerce.models import Coupon
from livebuy.redis import keys


class CouponService:
    """Stores coupon terms; uses are counted by the order script, not here."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def save(self, coupon: Coupon) -> None:
        """Create or update a coupon's terms; its use counters are kept."""
        await self._redis.hset(
            keys.coupon(coupon.code),
            mapping={
                "kind": coupon.kind,
                "value": coupon.value,
                "currency": coupon.currency or "",
                "min_spend": coupon.min_spend,
                "starts_at": coupon.starts_at,
                "ends_at": "" if coupon.ends_at is None else coupon.ends_at,
                "max_uses": "" if coupon.max_uses is None else coupon.max_uses,
                "per_customer": "" if coupon.per_customer is None else coupon.per_customer,
            },
        )

    async def uses(self, code: str) -> int:
        """How many live orders use the coupon (cancelled and expired ones give their use back)."""
        return int(await self._redis.hget(keys.coupon(code), "used") or 0)
