"""Polls and quizzes end to end across two gateway processes on one Redis (act on B, see on A)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from livebuy.sessions.service import SessionService
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer, receive_json, settings_for_tests

SHOW = "spring-runway"
PRODUCER = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}
# A short tolerance keeps the wait for the final result short; the rule is the same.
FAST = {"poll_answer_tolerance_ms": 300}
VOTERS = 60
MakeServer = Callable[..., Awaitable[LiveServer]]


def bearer(session: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.token}"}


class Watcher:
    """Reads a socket's frames all the time (a client that stops reading is closed as too slow)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.seen: list[dict[str, Any]] = []
        self._ws = ws
        self._arrived = asyncio.Condition()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            async with self._arrived:
                self.seen.append(json.loads(message))
                self._arrived.notify_all()

    async def until(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first frame seen that matches, waiting for it at most the suite's timeout."""
        async with asyncio.timeout(TIMEOUT_S), self._arrived:
            while True:
                found = next((frame for frame in self.seen if match(frame)), None)
                if found is not None:
                    return found
                await self._arrived.wait()

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def is_results(poll_id: str, final: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda f: (
        f["type"] == "poll_results"
        and f["data"]["poll_id"] == poll_id
        and f["data"]["final"] is final
    )


async def test_poll_and_quiz_across_two_processes(make_server: MakeServer, redis: Redis) -> None:
    """A poll and then a quiz, acted on B and seen on A (one pair of processes for both)."""
    first = await make_server(process=True, **FAST)
    second = await make_server(process=True, **FAST)
    await double_votes_count_exactly(first, second, redis)
    await quiz_hides_its_answer_and_refuses_bad_input(first, second, redis)


async def double_votes_count_exactly(first: LiveServer, second: LiveServer, redis: Redis) -> None:
    """Each session votes on A and B at once: one vote each counted, sums exact, few frames.

    120 HTTP votes keep the test short on a shared machine; the 2,000-vote contention runs
    against the vote script in ``test_poll_service.py``.
    """
    sessions = SessionService.from_settings(redis, settings_for_tests())
    viewers = [await sessions.create(None) for _ in range(VOTERS)]
    cue = {
        "kind": "poll",
        "poll_id": "next-look",
        "question": "Which look next?",
        "options": ["trench", "blazer", "biker", "slip dress"],
        "duration_ms": 600_000,
    }
    async with connect(first.ws_url(SHOW)) as socket:
        await receive_json(socket)
        watcher = Watcher(socket)
        await second.post_cue(SHOW, cue, "poll-1")
        opened = await watcher.until(lambda f: f["type"] == "cue")
        assert opened["data"]["kind"] == "poll" and opened["data"]["closes_at"] > opened["at"]
        gate = asyncio.Semaphore(64)
        outcomes: list[tuple[int, int, str]] = []

        async def vote(client: httpx.AsyncClient, index: int, option: int) -> None:
            async with gate:
                response = await client.post(
                    f"/api/shows/{SHOW}/polls/next-look/votes",
                    json={"option": option},
                    headers=bearer(viewers[index]),
                )
            body = response.json()
            outcomes.append((index, option, body.get("error", {}).get("code", "counted")))
            assert response.status_code in (201, 409), response.text

        async with first.http() as on_a, second.http() as on_b:
            await asyncio.gather(
                *(vote(on_a, index, index % 4) for index in range(VOTERS)),
                *(vote(on_b, index, (index + 1) % 4) for index in range(VOTERS)),
            )
            counted = [(index, option) for index, option, code in outcomes if code == "counted"]
            codes = Counter(code for _, _, code in outcomes)
            assert codes == {"counted": VOTERS, "already_voted": VOTERS}
            assert sorted(index for index, _ in counted) == list(range(VOTERS))
            expected = Counter(option for _, option in counted)

            # A late joiner on B gets the open poll with its current results.
            async with connect(second.ws_url(SHOW)) as late:
                snapshot = await receive_json(late)
            (part,) = snapshot["data"]["polls"]
            assert part["poll_id"] == "next-look" and part["results"]["total"] == VOTERS

            await first.post_cue(SHOW, {"kind": "poll_close", "poll_id": "next-look"})
            final = await watcher.until(is_results("next-look", True))
            assert final["data"]["counts"] == [expected[option] for option in range(4)]
            assert final["data"]["total"] == VOTERS
            refused = await on_b.post(
                f"/api/shows/{SHOW}/polls/next-look/votes",
                json={"option": 0},
                headers=bearer(await sessions.create(None)),
            )
            assert refused.status_code == 409
            assert refused.json()["error"]["code"] == "poll_closed"
        await watcher.stop()
    live = [f for f in watcher.seen if f["type"] == "poll_results" and not f["data"]["final"]]
    # Aggregated, never one frame per vote; totals only grow.
    assert len(live) < 100
    assert [f["data"]["total"] for f in live] == sorted(f["data"]["total"] for f in live)


async def quiz_hides_its_answer_and_refuses_bad_input(
    first: LiveServer, second: LiveServer, redis: Redis
) -> None:
    """A quiz opened on B hides its answer on A until the final; winners listed; bad input 4xx."""
    sessions = SessionService.from_settings(redis, settings_for_tests())
    right, wrong = await sessions.create("Right"), await sessions.create("Wrong")
    cue = {
        "kind": "quiz",
        "poll_id": "fabric",
        "question": "What is the slip dress made of?",
        "options": ["silk", "linen", "wool"],
        "correct_option": 0,
        "time_limit_ms": 60_000,
        "prize": {"amount": 500, "currency": "EUR"},
    }
    votes = f"/api/shows/{SHOW}/polls/fabric/votes"
    async with (
        connect(first.ws_url(SHOW)) as socket,
        first.http() as on_a,
        second.http() as on_b,
    ):
        await receive_json(socket)
        watcher = Watcher(socket)
        await second.post_cue(SHOW, cue, "quiz-1")
        opened = await watcher.until(lambda f: f["type"] == "cue" and f["data"]["kind"] == "quiz")
        assert "correct_option" not in opened["data"]
        assert opened["data"]["prize"] == {"amount": 500, "currency": "EUR"}

        def now() -> int:
            return int(time.time() * 1000)

        answer = await on_a.post(
            votes, json={"option": 0, "program_ms": now()}, headers=bearer(right)
        )
        assert answer.status_code == 201 and answer.json()["late"] is False
        await on_b.post(votes, json={"option": 2, "program_ms": now()}, headers=bearer(wrong))
        refusals = {
            "already_voted": await on_b.post(
                votes, json={"option": 1, "program_ms": now()}, headers=bearer(right)
            ),
            "unknown_poll": await on_a.post(
                f"/api/shows/{SHOW}/polls/ghost/votes", json={"option": 0}, headers=bearer(right)
            ),
            "unknown_show": await on_a.post(
                "/api/shows/ghost/polls/fabric/votes", json={"option": 0}, headers=bearer(right)
            ),
            "invalid_option": await on_a.post(
                votes, json={"option": 3, "program_ms": now()}, headers=bearer(wrong)
            ),
            "invalid_program_time": await on_a.post(
                votes, json={"option": 0, "program_ms": now() + 60_000}, headers=bearer(wrong)
            ),
            "invalid_input": await on_a.post(votes, json={"option": 0}, headers=bearer(wrong)),
            "unauthorized": await on_a.post(votes, json={"option": 0}),
            "poll_not_final": await on_b.get(
                f"/api/shows/{SHOW}/polls/fabric/winners", headers=PRODUCER
            ),
        }
        for body in ({"option": 7}, {"option": 0, "extra": 1}, {"option": "a"}, [1]):
            bad = await on_a.post(votes, json=body, headers=bearer(wrong))
            assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_input")
        assert {
            code: (response.status_code, response.json()["error"]["code"])
            for code, response in refusals.items()
        } == {
            "already_voted": (409, "already_voted"),
            "unknown_poll": (404, "unknown_poll"),
            "unknown_show": (404, "unknown_show"),
            "invalid_option": (422, "invalid_option"),
            "invalid_program_time": (422, "invalid_program_time"),
            "invalid_input": (422, "invalid_input"),
            "unauthorized": (401, "unauthorized"),
            "poll_not_final": (409, "poll_not_final"),
        }
        status = await on_a.get(f"/api/shows/{SHOW}/polls", headers=PRODUCER)
        (quiz,) = [p["results"] for p in status.json() if p["poll"]["poll_id"] == "fabric"]
        assert quiz["counts"] == [1, 0, 1] and quiz["correct_option"] == 0

        reopen = await on_b.post(f"/api/shows/{SHOW}/cues", json={"cue": cue}, headers=PRODUCER)
        assert (reopen.status_code, reopen.json()["error"]["code"]) == (422, "invalid_input")
        await second.post_cue(SHOW, {"kind": "poll_close", "poll_id": "fabric"})
        final = await watcher.until(is_results("fabric", True))
        assert final["data"]["correct_option"] == 0
        assert final["data"]["correct_count"] == 1
        assert final["data"]["counts"] == [1, 0, 1]
        assert final["at"] == final["data"]["closes_at"]
        winners = await on_a.get(f"/api/shows/{SHOW}/polls/fabric/winners", headers=PRODUCER)
        assert winners.json()["sessions"] == [right.session_id]
        assert winners.json()["prize"] == {"amount": 500, "currency": "EUR"}
        again = await on_a.post(
            f"/api/shows/{SHOW}/cues",
            json={"cue": {"kind": "poll_close", "poll_id": "fabric"}},
            headers=PRODUCER,
        )
        assert again.status_code == 422
        await watcher.stop()
    # Nothing a viewer received named the answer before the final result.
    before_final = watcher.seen[: watcher.seen.index(final)]
    assert all(
        "correct_option" not in str(f["data"]) or f["data"].get("correct_option") is None
        for f in before_final
    )
