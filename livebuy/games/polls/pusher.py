"""One elected process per show pushes its polls' results and closes them (the poll loop).

Each tick the lease holder reads the show's polls. An open poll whose counts changed gets ONE
``poll_results`` frame at most every ``poll_results_interval_ms`` (never one per vote). A poll
whose close plus the answer tolerance has passed is finalised: ``poll_finalize.lua`` stops the
counting and returns the exact counts, and the final frame is appended with the state change that
marks the poll final. Its dedupe id makes it appear once, even if a leader dies between the two
steps (the next one finalises again, gets the same counts, and the append is a no-op).

A final quiz with a prize is then paid: each correct answerer's wallet is credited (source
``quiz``, ref ``<show>:<poll>:<opened_at>``), and only after every credit a ``paid`` marker is
set. Each tick re-runs the payout of every final quiz without the marker, so a leader that dies
between the final result and the last credit is succeeded by one that pays the rest; the credit
is idempotent per ref, so nobody is paid twice, whichever leader (or two, briefly) runs it.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from redis.asyncio import Redis

from livebuy.background import ElectedLoop, LoopRegistry
from livebuy.clock import Clock, now_ms
from livebuy.events.models import PollResultsEvent
from livebuy.events.state import finalize_poll, poll_correct_option, polls_in
from livebuy.events.stream import ShowStream
from livebuy.games.polls.ballot import RUN_TTL_MS
from livebuy.games.polls.tally import Tally
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.settings import Settings
from livebuy.wallet.service import WalletService

# With no poll open (or a final quiz unpaid), the loop rests up to this long between looks: a
# poll opened meanwhile gets its first live frame within it, and it closes on time as before.
IDLE_MAX_S = 1.0
# Credits in flight at once while paying a quiz's winners (bounded: a quiz may have 100k).
PAYOUT_BATCH = 100


class PollPusher:
    """Pushes one show's poll results and closes its polls while this process holds the lease."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        settings: Settings,
        show_id: str,
        wallet: WalletService,
        clock: Clock = now_ms,
    ) -> None:
        self.show_id = show_id
        self._redis = redis
        self._stream = stream
        self._wallet = wallet
        self._tally = Tally(redis)
        self._interval_ms = settings.polls.poll_results_interval_ms
        self._tolerance_ms = settings.polls.poll_answer_tolerance_ms
        # (poll id, opened at) -> (total, when) of the last live frame this process pushed.
        self._pushed: dict[tuple[str, int], tuple[int, int]] = {}
        # Quiz runs this process saw paid (their marker set): not read again every tick.
        self._paid: set[tuple[str, int]] = set()
        self.loop = ElectedLoop(
            f"polls:{show_id}",
            Lease(redis, keys.poll_lease(show_id), settings.polls.poll_lease_ms),
            lambda: self.step(clock()),
            settings.polls.poll_tick_ms / 1000,
            idle=lambda: None if self._busy else float("inf"),
            max_idle_s=IDLE_MAX_S,
            clock=clock,
        )
        self._busy = True

    async def step(self, now: int) -> int:
        """Push what changed, finalise what is due and pay final quizzes; returns frames appended."""
        fields = cast(dict[str, str], await self._redis.hgetall(keys.show_state(self.show_id)))
        appended = 0
        polls = polls_in(fields)
        self._busy = False
        for poll in polls:
            if poll["final"] is not None:
                await self._pay(poll)
                self._busy = self._busy or not self._settled(poll)
                continue
            self._busy = True
            if now >= poll["closes_at"] + self._tolerance_ms:
                await self._finalize(poll, poll_correct_option(fields, poll["poll_id"]))
                await self._pay(poll)
                appended += 1
            elif await self._push_live(poll, now):
                appended += 1
        return appended

    def _settled(self, poll: dict[str, Any]) -> bool:
        """Whether a final poll needs nothing more (a quiz's prize is paid)."""
        unpaid = poll["kind"] == "quiz" and poll.get("prize") is not None
        return not unpaid or (poll["poll_id"], poll["opened_at"]) in self._paid

    async def _pay(self, poll: dict[str, Any]) -> None:
        """Credit a final quiz's prize to each correct answerer, once (see the module docstring)."""
        prize = poll.get("prize")
        run = (poll["poll_id"], poll["opened_at"])
        if poll["kind"] != "quiz" or prize is None or run in self._paid:
            return
        marker = keys.poll_payout(self.show_id, *run)
        if not await self._redis.exists(marker):
            winners = sorted(
                cast(set[str], await self._redis.smembers(keys.poll_correct(self.show_id, *run)))
            )
            ref = f"{self.show_id}:{run[0]}:{run[1]}"
            for start in range(0, len(winners), PAYOUT_BATCH):
                await asyncio.gather(
                    *(
                        self._wallet.credit(
                            session_id, prize["currency"], prize["amount"], "quiz", ref
                        )
                        for session_id in winners[start : start + PAYOUT_BATCH]
                    )
                )
            # Set only after every credit: until then each tick (of any leader) pays the rest.
            await self._redis.set(marker, 1, px=RUN_TTL_MS)
        self._paid.add(run)

    async def _push_live(self, poll: dict[str, Any], now: int) -> bool:
        run = (poll["poll_id"], poll["opened_at"])
        counts = await self._tally.read(self.show_id, *run, len(poll["options"]))
        last_total, last_at = self._pushed.get(run, (0, -self._interval_ms))
        if counts.total == last_total or now - last_at < self._interval_ms:
            return False
        event = PollResultsEvent(
            poll_id=poll["poll_id"],
            kind=poll["kind"],
            opened_at=poll["opened_at"],
            closes_at=poll["closes_at"],
            total=counts.total,
            counts=None if poll["hide_results_until_close"] else counts.counts,
            final=False,
            correct_option=None,
            correct_count=None,
        )
        await self._stream.append(self.show_id, now, event)
        self._pushed[run] = (counts.total, now)
        return True

    async def _finalize(self, poll: dict[str, Any], correct_option: int | None) -> None:
        poll_id, opened_at = poll["poll_id"], poll["opened_at"]
        counts = await self._tally.finalize(self.show_id, poll_id, opened_at, len(poll["options"]))
        quiz = poll["kind"] == "quiz"
        result = {
            "opened_at": opened_at,
            "closes_at": poll["closes_at"],
            "total": counts.total,
            "counts": counts.counts,
            "correct_option": correct_option if quiz else None,
            "correct_count": counts.correct if quiz else None,
        }
        event = PollResultsEvent(poll_id=poll_id, kind=poll["kind"], final=True, **result)
        # Program time of the close: a client shows the result when its video reaches the close.
        await self._stream.append(
            self.show_id,
            poll["closes_at"],
            event,
            [finalize_poll(poll_id, result)],
            dedupe_id=f"poll-final:{poll_id}:{opened_at}",
        )
        self._pushed.pop((poll_id, opened_at), None)


class PollLoops:
    """Starts this process's poll loop candidate for each show (the lease lets one of them act)."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        settings: Settings,
        loops: LoopRegistry,
        wallet: WalletService,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._settings = settings
        self._loops = loops
        self._wallet = wallet

    def ensure(self, show_id: str) -> None:
        """Start the poll loop candidate of ``show_id`` here if it is not running."""
        if f"polls:{show_id}" not in self._loops:
            pusher = PollPusher(self._redis, self._stream, self._settings, show_id, self._wallet)
            self._loops.add(pusher.loop)
