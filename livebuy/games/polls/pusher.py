"""One elected process per show pushes its polls' results and closes them (the poll loop).

Each tick the lease holder reads the show's polls. An open poll whose counts changed gets ONE
``poll_results`` frame at most every ``poll_results_interval_ms`` (never one per vote). A poll
whose close plus the answer tolerance has passed is finalised: ``poll_finalize.lua`` stops the
counting and returns the exact counts, and the final frame is appended with the state change that
marks the poll final. Its dedupe id makes it appear once, even if a leader dies between the two
steps (the next one finalises again, gets the same counts, and the append is a no-op).
"""

from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis

from livebuy.background import ElectedLoop, LoopRegistry
from livebuy.clock import Clock, now_ms
from livebuy.events.models import PollResultsEvent
from livebuy.events.state import finalize_poll, poll_correct_option, polls_in
from livebuy.events.stream import ShowStream
from livebuy.games.polls.tally import Tally
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.settings import Settings


class PollPusher:
    """Pushes one show's poll results and closes its polls while this process holds the lease."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        settings: Settings,
        show_id: str,
        clock: Clock = now_ms,
    ) -> None:
        self.show_id = show_id
        self._redis = redis
        self._stream = stream
        self._tally = Tally(redis)
        self._interval_ms = settings.polls.poll_results_interval_ms
        self._tolerance_ms = settings.polls.poll_answer_tolerance_ms
        # (poll id, opened at) -> (total, when) of the last live frame this process pushed.
        self._pushed: dict[tuple[str, int], tuple[int, int]] = {}
        self.loop = ElectedLoop(
            f"polls:{show_id}",
            Lease(redis, keys.poll_lease(show_id), settings.polls.poll_lease_ms),
            lambda: self.step(clock()),
            settings.polls.poll_tick_ms / 1000,
            clock=clock,
        )

    async def step(self, now: int) -> int:
        """Push what changed and finalise what is due; returns frames appended."""
        fields = cast(dict[str, str], await self._redis.hgetall(keys.show_state(self.show_id)))
        appended = 0
        for poll in polls_in(fields):
            if poll["final"] is not None:
                continue
            if now >= poll["closes_at"] + self._tolerance_ms:
                await self._finalize(poll, poll_correct_option(fields, poll["poll_id"]))
                appended += 1
            elif await self._push_live(poll, now):
                appended += 1
        return appended

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
        self, redis: Redis, stream: ShowStream, settings: Settings, loops: LoopRegistry
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._settings = settings
        self._loops = loops

    def ensure(self, show_id: str) -> None:
        """Start the poll loop candidate of ``show_id`` here if it is not running."""
        if f"polls:{show_id}" not in self._loops:
            self._loops.add(PollPusher(self._redis, self._stream, self._settings, show_id).loop)
