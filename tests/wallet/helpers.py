"""Helpers of the wallet tests: a wallet service on the test Redis and its ledger sums."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.redis import keys
from livebuy.wallet.service import WalletPolicy, WalletService

DAY_MS = 24 * 3600 * 1000


def wallet_service(redis: Redis, grace_ms: int = DAY_MS) -> WalletService:
    """A wallet service with a 30-day default credit lifetime."""
    return WalletService(redis, WalletPolicy(credit_ttl_ms=30 * DAY_MS, return_grace_ms=grace_ms))


async def ledger(redis: Redis, session_id: str) -> list[dict[str, Any]]:
    """The session's whole ledger, oldest first."""
    raw = await redis.lrange(keys.wallet_ledger(session_id), 0, -1)
    return [orjson.loads(entry) for entry in reversed(raw)]


async def lots_total(redis: Redis, session_id: str) -> Counter[str]:
    """What the session's lots hold per currency (expired or not, as stored)."""
    raw = cast(list[str], await redis.hvals(keys.wallet_lots(session_id)))
    totals: Counter[str] = Counter()
    for lot in map(orjson.loads, raw):
        assert lot["amount"] > 0, lot
        totals[lot["currency"]] += int(lot["amount"])
    return totals


async def assert_ledger_matches(redis: Redis, session_id: str) -> Counter[str]:
    """Per currency the lots hold exactly the ledger's signed sum; returns the balances."""
    sums: Counter[str] = Counter()
    for entry in await ledger(redis, session_id):
        sums[entry["currency"]] += int(entry["amount"])
    totals = await lots_total(redis, session_id)
    assert {c: v for c, v in sums.items() if v} == {c: v for c, v in totals.items() if v}, (
        sums,
        totals,
    )
    return totals
