"""Reading a poll run's counts, and its close step (``poll_finalize.lua``): the exact final result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from livebuy.games.polls.ballot import RUN_TTL_MS
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript


@dataclass(frozen=True)
class FinalizeKeys:
    """KEYS of ``poll_finalize.lua``."""

    counts: str
    correct: str


@dataclass(frozen=True)
class FinalizeArgs:
    """ARGV of ``poll_finalize.lua``."""

    options: int
    ttl_ms: int


POLL_FINALIZE = LuaScript("livebuy.games.polls", "poll_finalize", FinalizeKeys, FinalizeArgs)


@dataclass(frozen=True)
class Counts:
    """Votes per option and their total (one run of one poll)."""

    counts: list[int]
    total: int
    correct: int = 0


class Tally:
    """Counts of poll runs; ``finalize`` closes a run so no vote counts after it."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._finalize = POLL_FINALIZE.bind(redis)

    async def read(self, show_id: str, poll_id: str, opened_at: int, options: int) -> Counts:
        """The run's counts now (one read: the vote script changes them together)."""
        fields = [str(option) for option in range(options)] + ["total"]
        values = await self._redis.hmget(keys.poll_counts(show_id, poll_id, opened_at), fields)
        numbers = [int(value or 0) for value in values]
        return Counts(counts=numbers[:-1], total=numbers[-1])

    async def finalize(self, show_id: str, poll_id: str, opened_at: int, options: int) -> Counts:
        """Close the run for good and return its exact final counts (the same on every call)."""
        result = cast(
            list[object],
            await self._finalize(
                FinalizeKeys(
                    counts=keys.poll_counts(show_id, poll_id, opened_at),
                    correct=keys.poll_correct(show_id, poll_id, opened_at),
                ),
                FinalizeArgs(options=options, ttl_ms=RUN_TTL_MS),
            ),
        )
        counts = [int(count) for count in cast(list[int], result[0])]
        return Counts(
            counts=counts, total=int(cast(int, result[1])), correct=int(cast(int, result[2]))
        )
