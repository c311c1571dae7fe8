"""Prizes land in the wallet exactly once: quiz winners and giveaway credit, across failovers."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from catalog.models import Money
from livebuy.clock import now_ms
from livebuy.commerce.coupons import CouponService
from livebuy.events.stream import ShowStream
from livebuy.games.giveaways.closer import GiveawayCloser
from livebuy.games.giveaways.service import GiveawayService, due_member
from livebuy.games.polls.pusher import PollPusher
from livebuy.games.polls.service import PollService
from livebuy.games.presence import ShowPresence
from livebuy.redis import keys
from livebuy.services import catalog_store
from livebuy.sessions.models import Session
from livebuy.shows.models import GiveawayCue, QuizCue
from livebuy.shows.service import ShowService
from livebuy.wallet.service import WalletService
from tests.servers import settings_for_tests
from tests.wallet.helpers import wallet_service

SHOW = "prize-show"
T0 = 1_800_000_000_000
TOLERANCE = 5000


async def _forget_wallets(redis: Redis, *session_ids: str) -> None:
    """Put the wallets back as before any payout: the state a crash before the credits leaves."""
    for session_id in session_ids:
        await redis.delete(
            keys.wallet_lots(session_id),
            keys.wallet_expiries(session_id),
            keys.wallet_ledger(session_id),
            keys.wallet_refs(session_id),
            keys.wallet_coupons(session_id),
        )


async def _paid(wallet: WalletService, session_id: str) -> tuple[int, int]:
    """(EUR balance, ledger entries) of a session."""
    state = await wallet.wallet(session_id)
    balance = sum(b.amount for b in state.balances if b.currency == "EUR")
    return balance, state.ledger_total


async def test_quiz_winners_are_credited_once_across_leaders(redis: Redis) -> None:
    """Correct answerers get the quiz prize once, even when a payout is re-run by two leaders."""
    stream = ShowStream(redis, 1000)
    shows = ShowService(redis, stream, catalog_store(redis), 1.0)
    await redis.set(keys.show_definition(SHOW), "{}")
    settings = settings_for_tests(poll_answer_tolerance_ms=TOLERANCE)
    polls = PollService(redis, TOLERANCE)
    wallet = wallet_service(redis)
    quiz = QuizCue(
        kind="quiz",
        poll_id="fabric",
        question="What is the slip dress made of?",
        options=["silk", "linen"],
        correct_option=0,
        time_limit_ms=10_000,
        prize=Money(amount=500, currency="EUR"),
    )
    await shows.publish(SHOW, "q1", quiz, T0)
    for session_id, option in (("win1", 0), ("win2", 0), ("lose", 1)):
        await polls.vote(SHOW, "fabric", session_id, option, T0 + 100, T0 + 200)
    done = T0 + 10_000 + TOLERANCE

    def leader() -> PollPusher:
        return PollPusher(redis, stream, settings, SHOW, wallet)

    first = leader()
    assert await first.step(done) == 1
    assert [await _paid(wallet, s) for s in ("win1", "win2", "lose")] == [
        (500, 1),
        (500, 1),
        (0, 0),
    ]
    # A failed-over leader finds the payout done; the old one pays nothing again either.
    await leader().step(done + 100)
    await first.step(done + 200)
    assert [await _paid(wallet, s) for s in ("win1", "win2")] == [(500, 1), (500, 1)]
    # A leader died between the final result and the credits: the next ticks (two leaders at
    # once, in a failover) pay the final-but-unpaid quiz, each winner once.
    await redis.delete(keys.poll_payout(SHOW, "fabric", T0))
    await _forget_wallets(redis, "win1")
    await asyncio.gather(leader().step(done + 300), leader().step(done + 300))
    assert [await _paid(wallet, s) for s in ("win1", "win2", "lose")] == [
        (500, 1),
        (500, 1),
        (0, 0),
    ]
    (lot,) = (await wallet.wallet("win1")).lots
    assert (lot.source, lot.ref) == ("quiz", f"{SHOW}:fabric:{T0}")


def _session(index: int) -> Session:
    return Session(
        session_id=f"s{index:04d}",
        handle=f"h{index:04d}",
        display_name=f"Viewer {index}",
        created_at=now_ms() - 3_600_000,
    )


async def test_giveaway_credit_prize_is_credited_once(redis: Redis) -> None:
    """Each credit winner is paid once at the close; a closer finishing it again pays nobody twice."""
    stream = ShowStream(redis, 1000)
    wallet = wallet_service(redis)
    service = GiveawayService(redis, stream, CouponService(redis), settings_for_tests(), wallet)
    cue: dict[str, Any] = {
        "kind": "giveaway",
        "giveaway_id": "cash",
        "title": "Store credit",
        "prize": {"kind": "credit", "amount": 700, "currency": "EUR"},
        "winners": 2,
        "duration_ms": 60_000,
    }
    opened_at = now_ms()
    await service.open(SHOW, GiveawayCue.model_validate(cue), opened_at, 1.0)
    viewers = [_session(i) for i in range(5)]
    for viewer in viewers:
        await ShowPresence(redis).seen(SHOW, viewer.session_id)
        await service.enter(SHOW, "cash", viewer, "10.0.0.1")
    view = await service.close_early(SHOW, "cash")
    winners = [v.session_id for v in viewers if v.handle in (view.winners or [])]
    losers = [v.session_id for v in viewers if v.session_id not in winners]
    assert len(winners) == 2
    assert [await _paid(wallet, s) for s in winners] == [(700, 1), (700, 1)]
    assert [await _paid(wallet, s) for s in losers] == [(0, 0)] * 3
    (lot,) = (await wallet.wallet(winners[0])).lots
    assert (lot.source, lot.ref) == ("giveaway", f"{SHOW}:cash:{opened_at}")
    # The closer died after the draw, before paying one winner and leaving the due index: the
    # next tick finishes it, paying the unpaid winner and nobody twice, and publishing once.
    await redis.zadd(keys.giveaways_due(), {due_member(SHOW, "cash"): opened_at})
    await _forget_wallets(redis, winners[0])
    closer = GiveawayCloser(redis, service, stream, tick_ms=500, lease_ms=2000)
    await closer.tick()
    await closer.tick()
    assert [await _paid(wallet, s) for s in winners] == [(700, 1), (700, 1)]
    assert await service.due(now_ms() + 3_600_000) == []
    history = await stream.history(SHOW, 0, None)
    assert sum('"giveaway_result"' in frame for _, frame in history.frames) == 1
