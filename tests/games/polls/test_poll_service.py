"""Polls and quizzes against the real Redis: one vote per session, the tolerance edges, the close."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, cast

import orjson
import pytest
from redis.asyncio import Redis

from catalog.models import Money
from livebuy.errors import (
    AlreadyVotedError,
    InvalidInputError,
    InvalidOptionError,
    PollClosedError,
    PollNotFinalError,
    PollNotFoundError,
    ProgramTimeError,
)
from livebuy.events.stream import ShowStream
from livebuy.games.polls.pusher import PollPusher
from livebuy.games.polls.service import PollService
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.services import catalog_store
from livebuy.shows.models import PollCloseCue, PollCue, QuizCue
from livebuy.shows.service import ShowService
from tests.servers import settings_for_tests
from tests.wallet.helpers import wallet_service

SHOW = "poll-show"
T0 = 1_800_000_000_000
TOLERANCE = 5000
INTERVAL = 500


@pytest.fixture
async def parts(redis: Redis) -> tuple[ShowService, PollService, PollPusher, ShowStream]:
    stream = ShowStream(redis, 1000)
    shows = ShowService(redis, stream, catalog_store(redis), 1.0)
    await redis.set(keys.show_definition(SHOW), "{}")
    settings = settings_for_tests(
        poll_answer_tolerance_ms=TOLERANCE, poll_results_interval_ms=INTERVAL
    )
    polls = PollService(redis, TOLERANCE)
    return shows, polls, PollPusher(redis, stream, settings, SHOW, wallet_service(redis)), stream


def poll_cue(hide: bool = False) -> PollCue:
    return PollCue(
        kind="poll",
        poll_id="colour",
        question="Which colour next?",
        options=["red", "blue", "green"],
        duration_ms=20_000,
        hide_results_until_close=hide,
    )


def quiz_cue() -> QuizCue:
    return QuizCue(
        kind="quiz",
        poll_id="fabric",
        question="What is the slip dress made of?",
        options=["silk", "linen", "wool"],
        correct_option=0,
        time_limit_ms=10_000,
        prize=Money(amount=500, currency="EUR"),
    )


async def frames(redis: Redis, stream: ShowStream) -> list[dict[str, Any]]:
    """The show stream's events as ``{type, at, data}``."""
    entries = cast(list[tuple[str, dict[str, str]]], await redis.xrange(keys.show_events(SHOW)))
    return [
        {"type": fields["type"], "at": int(fields["at"]), "data": orjson.loads(fields["data"])}
        for _, fields in entries
    ]


async def test_one_vote_per_session_and_exact_counts(parts: Any, redis: Redis) -> None:
    """Each session's first vote counts; a second is refused with the option that counts."""
    shows, polls, _, _ = parts
    await shows.publish(SHOW, "c1", poll_cue(), T0)
    for index in range(9):
        await polls.vote(SHOW, "colour", f"s{index}", index % 3, None, T0 + 100)
    with pytest.raises(AlreadyVotedError) as refused:
        await polls.vote(SHOW, "colour", "s4", 2, None, T0 + 200)
    assert refused.value.details["option"] == 1
    status = await polls.status(SHOW)
    assert status[0].results.counts == [3, 3, 3]
    assert status[0].results.total == 9
    with pytest.raises(InvalidOptionError):
        await polls.vote(SHOW, "colour", "s99", 3, None, T0 + 100)
    with pytest.raises(PollNotFoundError):
        await polls.vote(SHOW, "ghost", "s99", 0, None, T0 + 100)


async def test_quiz_answer_tolerance_edges(parts: Any) -> None:
    """Late answers count up to close + T if the video showed the question; later or after: refused."""
    shows, polls, _, _ = parts
    await shows.publish(SHOW, "q1", quiz_cue(), T0)
    close = T0 + 10_000
    with pytest.raises(InvalidInputError):
        await polls.vote(SHOW, "fabric", "a", 0, None, T0 + 10)
    # Exactly at the tolerance after the close, with the video at the close: counted, late.
    accepted = await polls.vote(SHOW, "fabric", "a", 0, close, close + TOLERANCE)
    assert accepted.late is True
    with pytest.raises(PollClosedError):
        await polls.vote(SHOW, "fabric", "b", 0, close, close + TOLERANCE + 1)
    # The video had passed the close: refused however soon it arrives.
    with pytest.raises(PollClosedError):
        await polls.vote(SHOW, "fabric", "c", 0, close + 1, close + 1)
    # A program time ahead of the server: up to the tolerance, no further.
    assert (await polls.vote(SHOW, "fabric", "d", 1, T0 + 6000, T0 + 1000)).late is False
    with pytest.raises(ProgramTimeError):
        await polls.vote(SHOW, "fabric", "e", 1, T0 + 6001, T0 + 1000)
    with pytest.raises(ProgramTimeError):
        await polls.vote(SHOW, "fabric", "f", 1, T0 - 1, T0 + 1000)
    # A poll vote without program_ms is judged by the server clock alone.
    await shows.publish(SHOW, "c1", poll_cue(), T0)
    with pytest.raises(PollClosedError):
        await polls.vote(SHOW, "colour", "g", 0, None, T0 + 20_000)


async def test_results_pushed_when_changed_and_final_at_close(parts: Any, redis: Redis) -> None:
    """Live frames only on change and at most every interval; the final is exact, once, with the answer."""
    shows, polls, pusher, stream = parts
    await shows.publish(SHOW, "q1", quiz_cue(), T0)
    close = T0 + 10_000
    assert await pusher.step(T0 + 50) == 0
    await polls.vote(SHOW, "fabric", "win1", 0, T0 + 90, T0 + 100)
    await polls.vote(SHOW, "fabric", "lose", 2, T0 + 90, T0 + 100)
    assert await pusher.step(T0 + 200) == 1
    await polls.vote(SHOW, "fabric", "win2", 0, T0 + 290, T0 + 300)
    assert await pusher.step(T0 + 400) == 0  # changed, but within the interval
    assert await pusher.step(T0 + 700) == 1
    assert await pusher.step(T0 + 1300) == 0  # interval passed, nothing changed
    with pytest.raises(PollNotFinalError):
        await polls.winners(SHOW, "fabric")
    # A late answer inside the tolerance still makes the final result.
    await polls.vote(SHOW, "fabric", "win3", 0, close - 1, close + 3000)
    assert await pusher.step(close + TOLERANCE - 1) == 1
    assert await pusher.step(close + TOLERANCE) == 1
    # Another leader after a crash finalises nothing twice.
    assert await pusher.step(close + TOLERANCE + 100) == 0
    results = [f for f in await frames(redis, stream) if f["type"] == "poll_results"]
    live, final = results[:-1], results[-1]
    assert [f["data"]["total"] for f in live] == [2, 3, 4]
    assert all(f["data"]["correct_option"] is None and not f["data"]["final"] for f in live)
    assert final["at"] == close
    assert final["data"] == {
        "poll_id": "fabric",
        "kind": "quiz",
        "opened_at": T0,
        "closes_at": close,
        "total": 4,
        "counts": [3, 0, 1],
        "final": True,
        "correct_option": 0,
        "correct_count": 3,
    }
    with pytest.raises(PollClosedError):
        await polls.vote(SHOW, "fabric", "late", 0, close, close + 1000)
    winners = await polls.winners(SHOW, "fabric")
    assert winners.sessions == ["win1", "win2", "win3"]
    assert winners.prize == {"amount": 500, "currency": "EUR"}
    assert await polls.open_polls(SHOW) == []


async def test_refinalising_after_a_crash_gives_the_same_result(parts: Any, redis: Redis) -> None:
    """A leader that closed the counts but died before the frame: the next one publishes them once."""
    shows, polls, pusher, stream = parts
    await shows.publish(SHOW, "c1", poll_cue(), T0)
    await polls.vote(SHOW, "colour", "a", 2, None, T0 + 100)
    await polls.tally.finalize(SHOW, "colour", T0, 3)
    with pytest.raises(PollClosedError):
        await polls.vote(SHOW, "colour", "b", 1, None, T0 + 200)
    assert await pusher.step(T0 + 20_000 + TOLERANCE) == 1
    final = [f for f in await frames(redis, stream) if f["type"] == "poll_results"]
    assert [f["data"]["counts"] for f in final] == [[0, 0, 1]]


async def test_hidden_results_and_early_close(parts: Any, redis: Redis) -> None:
    """A hidden poll shows only its total until the close; a poll_close cue moves the close earlier."""
    shows, polls, pusher, stream = parts
    await shows.publish(SHOW, "c1", poll_cue(hide=True), T0)
    await polls.vote(SHOW, "colour", "a", 1, None, T0 + 100)
    (part,) = await polls.open_polls(SHOW)
    assert part["results"]["counts"] is None and part["results"]["total"] == 1
    assert "final" not in part
    assert await pusher.step(T0 + 200) == 1
    await shows.publish(SHOW, "close", PollCloseCue(kind="poll_close", poll_id="colour"), T0 + 1000)
    with pytest.raises(PollClosedError):
        await polls.vote(SHOW, "colour", "b", 1, None, T0 + 1001)
    with pytest.raises(PollClosedError):
        await polls.vote(SHOW, "colour", "c", 1, T0 + 1001, T0 + 1002)
    assert (await polls.vote(SHOW, "colour", "d", 0, T0 + 999, T0 + 1500)).late
    assert await pusher.step(T0 + 1000 + TOLERANCE) == 1
    results = [f["data"] for f in await frames(redis, stream) if f["type"] == "poll_results"]
    assert results[0]["counts"] is None
    assert results[-1]["counts"] == [1, 1, 0] and results[-1]["closes_at"] == T0 + 1000


async def test_two_thousand_votes_from_two_clients_count_exactly(
    parts: Any, redis: Redis, redis_server: EmbeddedRedis
) -> None:
    """2,000 concurrent votes of 1,000 sessions on two connections: 1,000 counted, sums exact."""
    shows, _, _, _ = parts
    await shows.publish(SHOW, "c1", poll_cue(), T0)
    clients = [connect(redis_server.url), connect(redis_server.url)]
    services = [PollService(client, TOLERANCE) for client in clients]
    counted: list[tuple[int, int]] = []
    refused = 0
    # Bounded like a process's pool in use: enough in flight to interleave the two clients.
    gate = asyncio.Semaphore(32)

    async def vote(service: PollService, session: int, option: int) -> None:
        nonlocal refused
        try:
            async with gate:
                await service.vote(SHOW, "colour", f"s{session}", option, None, T0 + 100)
            counted.append((session, option))
        except AlreadyVotedError:
            refused += 1

    try:
        await asyncio.gather(
            *(vote(services[0], session, session % 3) for session in range(1000)),
            *(vote(services[1], session, (session + 1) % 3) for session in range(1000)),
        )
    finally:
        for client in clients:
            await client.aclose()
    assert refused == 1000
    assert sorted(session for session, _ in counted) == list(range(1000))
    expected = Counter(option for _, option in counted)
    (status,) = await PollService(redis, TOLERANCE).status(SHOW)
    assert status.results.counts == [expected[option] for option in range(3)]
    assert status.results.total == 1000
