"""The wallet service: credit a session (once per source and ref), read its wallet."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.errors import InvalidInputError
from livebuy.redis import keys
from livebuy.wallet.models import Balance, LedgerEntry, Lot, Wallet
from livebuy.wallet.scripts import (
    WALLET_CREDIT,
    WALLET_SETTLE,
    CreditArgs,
    SettleArgs,
    WalletKeys,
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_NAME = re.compile(r"^[a-z_]{1,32}$")
_REF = re.compile(r"^[\x21-\x7e]{1,200}$")


@dataclass(frozen=True)
class WalletPolicy:
    """The knobs of the wallet, from the settings."""

    credit_ttl_ms: int
    return_grace_ms: int


class WalletService:
    """Store credit per session: credits from games and refunds; orders spend it (in Lua)."""

    def __init__(self, redis: Redis, policy: WalletPolicy) -> None:
        self._redis = redis
        self.policy = policy
        self._credit = WALLET_CREDIT.bind(redis)
        self._settle = WALLET_SETTLE.bind(redis)

    async def credit(
        self,
        session_id: str,
        currency: str,
        amount_minor: int,
        source: str,
        ref: str,
        expires_at_ms: int | None = None,
    ) -> bool:
        """Add a lot of credit; False if this ``(source, ref)`` was credited before.

        ``expires_at_ms`` defaults to now plus the configured credit lifetime.

        Raises:
            InvalidInputError: a bad currency, amount, source or ref, or an expiry in the past
                (unless this ``(source, ref)`` was credited before: that answers False).
        """
        now = now_ms()
        expires_at = now + self.policy.credit_ttl_ms if expires_at_ms is None else expires_at_ms
        if not _CURRENCY.match(currency):
            raise InvalidInputError("currency must be 3 capital letters", field="currency")
        if amount_minor <= 0:
            raise InvalidInputError("a credit is a positive amount", field="amount_minor")
        if not _NAME.match(source) or not _REF.match(ref):
            raise InvalidInputError("source is [a-z_]{1,32}, ref printable ASCII", field="source")
        credited = await self._credit(
            WalletKeys.of(session_id),
            CreditArgs(now, currency, amount_minor, source, ref, expires_at),
        )
        if credited == -1:
            raise InvalidInputError("the credit would already be expired", field="expires_at_ms")
        return bool(credited)

    async def record_coupon(self, session_id: str, code: str) -> None:
        """List a coupon the session won (a personal coupon a game created) in its wallet.

        Idempotent: a repeated call (a game's payout run again after a crash) keeps the first
        time it was listed.
        """
        await self._redis.zadd(keys.wallet_coupons(session_id), {code: now_ms()}, nx=True)

    async def wallet(self, session_id: str, offset: int = 0, limit: int = 20) -> Wallet:
        """The session's balances, lots (soonest expiry first), a ledger page and coupons."""
        await self._settle(WalletKeys.of(session_id), SettleArgs(now_ms()))
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.hvals(keys.wallet_lots(session_id))
            await pipe.lrange(keys.wallet_ledger(session_id), offset, offset + limit - 1)
            await pipe.llen(keys.wallet_ledger(session_id))
            await pipe.zrange(keys.wallet_coupons(session_id), 0, -1)
            raw_lots, raw_ledger, total, coupons = await pipe.execute()
        lots = sorted(
            (Lot.model_validate_json(raw) for raw in raw_lots),
            key=lambda lot: (lot.expires_at, lot.id),
        )
        amounts: dict[str, int] = defaultdict(int)
        soonest: dict[str, int] = {}
        for lot in lots:
            amounts[lot.currency] += lot.amount
            soonest.setdefault(lot.currency, lot.expires_at)
        ledger = [LedgerEntry.model_validate_json(raw) for raw in raw_ledger]
        return Wallet(
            balances=[
                Balance(currency=currency, amount=amount, next_expiry_at=soonest.get(currency))
                for currency, amount in sorted(amounts.items())
            ],
            lots=lots,
            ledger=ledger,
            ledger_total=int(total),
            next_offset=offset + limit if offset + limit < int(total) else None,
            coupons=[str(code) for code in coupons],
        )

    async def balance(self, session_id: str, currency: str) -> int:
        """Spendable credit in ``currency`` now (expired lots settled first)."""
        wallet = await self.wallet(session_id, limit=1)
        return sum(b.amount for b in wallet.balances if b.currency == currency)
