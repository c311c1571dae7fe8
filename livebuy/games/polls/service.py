"""Polls and quizzes as a service: votes, results as viewers and producers see them, winners."""

from __future__ import annotations

from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.errors import (
    InvalidInputError,
    PollNotFinalError,
    PollNotFoundError,
    ShowNotFoundError,
)
from livebuy.events.state import POLL, poll_correct_option, polls_in
from livebuy.games.polls.ballot import Ballot
from livebuy.games.polls.models import PollResults, PollStatus, QuizWinners, VoteAccepted
from livebuy.games.polls.tally import Tally
from livebuy.games.report import GameReport
from livebuy.redis import keys


def public_poll(poll: dict[str, Any]) -> dict[str, Any]:
    """The poll as viewers may see it (the state's bookkeeping ``final`` left out)."""
    return {name: value for name, value in poll.items() if name != "final"}


class PollService:
    """Votes and results of the polls and quizzes of every show."""

    def __init__(self, redis: Redis, tolerance_ms: int, ip_cap: int = 50) -> None:
        self._redis = redis
        self.ballot = Ballot(redis, tolerance_ms, ip_cap)
        self.tally = Tally(redis)

    async def vote(
        self,
        show_id: str,
        poll_id: str,
        session_id: str,
        option: int,
        program_ms: int | None,
        now: int,
        ip: str | None = None,
    ) -> VoteAccepted:
        """Count one session's vote (or quiz answer) in the poll's current run.

        Raises:
            ShowNotFoundError: no such show.
            PollNotFoundError: the show has no such poll.
            InvalidInputError: a quiz answer without ``program_ms``.
            PollError: the refusals of ``Ballot.cast``.
        """
        poll = await self._poll(show_id, poll_id)
        if poll["kind"] == "quiz" and program_ms is None:
            raise InvalidInputError("a quiz answer carries program_ms", field="program_ms")
        counted = await self.ballot.cast(
            show_id, poll_id, poll["opened_at"], session_id, option, now, program_ms, ip
        )
        return VoteAccepted(poll_id=poll_id, option=option, late=counted.late)

    async def open_polls(self, show_id: str) -> list[dict[str, Any]]:
        """The snapshot's part: each poll not yet final, with its results as viewers see them."""
        fields = cast(dict[str, str], await self._redis.hgetall(keys.show_state(show_id)))
        parts = []
        for poll in polls_in(fields):
            if poll["final"] is None:
                results = await self._results(show_id, poll, fields, producer=False)
                parts.append({**public_poll(poll), "results": results.model_dump()})
        return parts

    async def status(self, show_id: str) -> list[PollStatus]:
        """Every poll of the show with its counts (hidden ones too) for the producer's console.

        Raises:
            ShowNotFoundError: no such show.
        """
        await self._require_show(show_id)
        fields = cast(dict[str, str], await self._redis.hgetall(keys.show_state(show_id)))
        return [
            PollStatus(
                poll=public_poll(poll),
                results=await self._results(show_id, poll, fields, producer=True),
                report=await self.report(show_id, poll),
            )
            for poll in polls_in(fields)
        ]

    async def report(self, show_id: str, poll: dict[str, Any]) -> GameReport:
        """Distinct voters of the poll's current run, correct answerers of a quiz, their IPs."""
        poll_id, opened_at = poll["poll_id"], poll["opened_at"]
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.hlen(keys.poll_voters(show_id, poll_id, opened_at))
            await pipe.scard(keys.poll_correct(show_id, poll_id, opened_at))
            await pipe.hlen(keys.poll_ips(show_id, poll_id, opened_at))
            voters, correct, addresses = await pipe.execute()
        return GameReport(
            entered=int(voters),
            distinct_winners=int(correct) if poll["kind"] == "quiz" else None,
            addresses=int(addresses),
        )

    async def winners(self, show_id: str, poll_id: str) -> QuizWinners:
        """The sessions that answered the quiz's last run correctly, once its result is final.

        Raises:
            ShowNotFoundError, PollNotFoundError: no such show or quiz.
            PollNotFinalError: the quiz is still open (or within its answer tolerance).
        """
        fields = cast(dict[str, str], await self._redis.hgetall(keys.show_state(show_id)))
        poll = next((p for p in polls_in(fields) if p["poll_id"] == poll_id), None)
        if poll is None or poll["kind"] != "quiz":
            await self._require_show(show_id)
            raise PollNotFoundError(f"unknown quiz '{poll_id}'", poll_id=poll_id)
        if poll["final"] is None:
            raise PollNotFinalError(f"quiz '{poll_id}' has no final result yet", poll_id=poll_id)
        opened_at = poll["opened_at"]
        members = await self._redis.smembers(keys.poll_correct(show_id, poll_id, opened_at))
        return QuizWinners(
            show_id=show_id,
            poll_id=poll_id,
            opened_at=opened_at,
            prize=poll.get("prize"),
            sessions=sorted(cast(set[str], members)),
        )

    async def _results(
        self, show_id: str, poll: dict[str, Any], fields: dict[str, str], *, producer: bool
    ) -> PollResults:
        final = poll["final"]
        if final is not None:
            return PollResults.model_validate(
                {**final, "poll_id": poll["poll_id"], "kind": poll["kind"], "final": True}
            )
        counts = await self.tally.read(
            show_id, poll["poll_id"], poll["opened_at"], len(poll["options"])
        )
        hidden = poll["hide_results_until_close"] and not producer
        return PollResults(
            poll_id=poll["poll_id"],
            kind=poll["kind"],
            opened_at=poll["opened_at"],
            closes_at=poll["closes_at"],
            total=counts.total,
            counts=None if hidden else counts.counts,
            final=False,
            correct_option=poll_correct_option(fields, poll["poll_id"]) if producer else None,
        )

    async def _poll(self, show_id: str, poll_id: str) -> dict[str, Any]:
        raw = await self._redis.hget(keys.show_state(show_id), POLL + poll_id)
        if raw is None:
            await self._require_show(show_id)
            raise PollNotFoundError(f"unknown poll '{poll_id}'", poll_id=poll_id)
        return cast(dict[str, Any], orjson.loads(raw))

    async def _require_show(self, show_id: str) -> None:
        if not await self._redis.exists(keys.show_definition(show_id)):
            raise ShowNotFoundError(f"unknown show '{show_id}'", show_id=show_id)
