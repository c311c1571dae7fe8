"""The vote: one Lua step that checks the window and the one-vote rule and counts (``poll_vote.lua``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from livebuy.errors import refusal
from livebuy.events.state import poll_fields
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript

# A run's votes and winners are kept this long (the wallet credits prizes well before).
RUN_TTL_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Counted:
    """A vote that counts: the poll's new total, and whether it came after the server's close."""

    total: int
    late: bool


@dataclass(frozen=True)
class VoteKeys:
    """KEYS of ``poll_vote.lua``."""

    state: str
    counts: str
    voters: str
    correct: str
    ips: str


@dataclass(frozen=True)
class VoteArgs:
    """ARGV of ``poll_vote.lua`` (``program_ms`` and ``ip`` empty when not given)."""

    poll_field: str
    secret_field: str
    close_field: str
    opened_at: int
    session_id: str
    option: int
    now: int
    program_ms: int | str
    tolerance_ms: int
    ttl_ms: int
    ip: str
    ip_cap: int


POLL_VOTE = LuaScript("livebuy.games.polls", "poll_vote", VoteKeys, VoteArgs)


class Ballot:
    """Casts votes atomically on any process; refusals become ``PollError``s."""

    def __init__(self, redis: Redis, tolerance_ms: int, ip_cap: int = 50) -> None:
        self._tolerance_ms = tolerance_ms
        self._ip_cap = ip_cap
        self._vote = POLL_VOTE.bind(redis)

    async def cast(
        self,
        show_id: str,
        poll_id: str,
        opened_at: int,
        session_id: str,
        option: int,
        now: int,
        program_ms: int | None,
        ip: str | None = None,
    ) -> Counted:
        """Count ``session_id``'s vote for ``option`` in the run of the poll opened at ``opened_at``.

        Raises:
            PollNotFoundError: the poll is not in the show.
            PollClosedError: too late by the program time and the tolerance, or finalised.
            InvalidOptionError: no such option.
            ProgramTimeError: ``program_ms`` ahead of the server beyond the tolerance, or before
                the poll opened.
            AlreadyVotedError: the session voted in this run already (the first vote counts).
            VoteCapError: ``ip`` cast ``ip_cap`` votes in this run already (no cap without ``ip``).
        """
        poll_field, secret_field, close_field = poll_fields(poll_id)
        result = cast(
            list[object],
            await self._vote(
                VoteKeys(
                    state=keys.show_state(show_id),
                    counts=keys.poll_counts(show_id, poll_id, opened_at),
                    voters=keys.poll_voters(show_id, poll_id, opened_at),
                    correct=keys.poll_correct(show_id, poll_id, opened_at),
                    ips=keys.poll_ips(show_id, poll_id, opened_at),
                ),
                VoteArgs(
                    poll_field=poll_field,
                    secret_field=secret_field,
                    close_field=close_field,
                    opened_at=opened_at,
                    session_id=session_id,
                    option=option,
                    now=now,
                    program_ms="" if program_ms is None else program_ms,
                    tolerance_ms=self._tolerance_ms,
                    ttl_ms=RUN_TTL_MS,
                    ip=ip or "",
                    ip_cap=self._ip_cap,
                ),
            ),
        )
        if result[0] == "error":
            raise _refused(poll_id, str(result[1]), result[2:])
        return Counted(total=int(cast(int, result[1])), late=bool(result[2]))


def _refused(poll_id: str, code: str, extra: list[object]) -> Exception:
    if code == "unknown_poll":
        return refusal(code, f"unknown poll '{poll_id}'", poll_id=poll_id)
    if code == "poll_closed":
        return refusal(code, f"poll '{poll_id}' is closed", closes_at=extra[0])
    if code == "invalid_option":
        return refusal(code, f"poll '{poll_id}' has {extra[0]} options", options=extra[0])
    if code == "invalid_program_time":
        return refusal(
            code,
            "program_ms is ahead of the server beyond the tolerance, or before the poll opened",
            field="program_ms",
        )
    if code == "vote_cap":
        return refusal(code, f"too many votes in poll '{poll_id}' from your address", cap=extra[0])
    return refusal(code, f"already voted in poll '{poll_id}'", option=extra[0])
