"""The wallet service against the real Redis: idempotent credits, expiry, the ledger."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.errors import InvalidInputError
from tests.wallet.helpers import assert_ledger_matches, ledger, wallet_service


async def test_credit_is_paid_once_per_source_and_ref(redis: Redis) -> None:
    """A retried credit (same source and ref) pays nothing the second time, even concurrently."""
    wallet = wallet_service(redis)
    results = await asyncio.gather(
        *(wallet.credit("s1", "EUR", 500, "red_packet", "rain1:7") for _ in range(20))
    )
    assert results.count(True) == 1
    assert await wallet.credit("s1", "EUR", 500, "quiz", "rain1:7") is True
    assert await wallet.balance("s1", "EUR") == 1000
    assert [entry["source"] for entry in await ledger(redis, "s1")] == ["red_packet", "quiz"]


async def test_expired_lots_leave_with_a_ledger_entry(redis: Redis) -> None:
    """A lot past its expiry is not in the balance, and the ledger says it expired."""
    wallet = wallet_service(redis)
    await wallet.credit("s1", "EUR", 300, "giveaway", "g1", expires_at_ms=now_ms() + 5)
    await wallet.credit("s1", "EUR", 200, "giveaway", "g2")
    await wallet.credit("s1", "USD", 100, "giveaway", "g3")
    await asyncio.sleep(0.01)  # the lot's expiry is a point in time, not an event to wait for
    view = await wallet.wallet("s1")
    assert [(b.currency, b.amount) for b in view.balances] == [("EUR", 200), ("USD", 100)]
    assert sorted(lot.ref for lot in view.lots) == ["g2", "g3"]
    assert [(e.source, e.amount) for e in view.ledger if e.amount < 0] == [("expiry", -300)]
    await assert_ledger_matches(redis, "s1")


async def test_ledger_pages_newest_first(redis: Redis) -> None:
    """The wallet's ledger pages by offset and limit, newest first, and says where next."""
    wallet = wallet_service(redis)
    for index in range(5):
        await wallet.credit("s1", "EUR", 10 + index, "quiz", f"q{index}")
    await wallet.record_coupon("s1", "WIN-123")
    first = await wallet.wallet("s1", offset=0, limit=2)
    assert [entry.ref for entry in first.ledger] == ["q4", "q3"]
    assert first.next_offset == 2 and first.ledger_total == 5
    last = await wallet.wallet("s1", offset=4, limit=2)
    assert [entry.ref for entry in last.ledger] == ["q0"] and last.next_offset is None
    assert first.coupons == ["WIN-123"]


@pytest.mark.parametrize(
    ("currency", "amount", "source", "ref"),
    [
        ("eur", 5, "quiz", "a"),
        ("EUR", 0, "quiz", "a"),
        ("EUR", 5, "Quiz!", "a"),
        ("EUR", 5, "q", ""),
    ],
)
async def test_bad_credits_are_refused(
    redis: Redis, currency: str, amount: int, source: str, ref: str
) -> None:
    """A credit with a bad currency, amount, source or ref is refused and changes nothing."""
    wallet = wallet_service(redis)
    with pytest.raises(InvalidInputError):
        await wallet.credit("s1", currency, amount, source, ref)
    assert await ledger(redis, "s1") == []
