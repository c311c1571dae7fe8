"""Pydantic models of polls and quizzes at the HTTP edge: a vote, its answer, results, winners."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from livebuy.games.report import GameReport


class VoteRequest(BaseModel):
    """Body of ``POST /api/shows/{show_id}/polls/{poll_id}/votes``.

    ``program_ms`` is the program time the viewer's video showed when they tapped (ms since the
    epoch); a quiz answer must carry it, a poll vote may (without it the server clock decides).
    """

    model_config = ConfigDict(extra="forbid")

    option: int = Field(ge=0, le=4)
    program_ms: int | None = Field(None, ge=0, le=10**14)


class VoteAccepted(BaseModel):
    """A counted vote: the option, and whether it arrived after the close (``late``, accepted)."""

    poll_id: str
    option: int
    late: bool


class PollResults(BaseModel):
    """Where a poll stands: counts per option (``None`` while hidden from viewers), total, final."""

    poll_id: str
    kind: Literal["poll", "quiz"]
    opened_at: int
    closes_at: int
    total: int
    counts: list[int] | None
    final: bool
    correct_option: int | None = None
    correct_count: int | None = None


class PollStatus(BaseModel):
    """A poll as the producer sees it: the cue, its counts (even hidden ones) and any answer."""

    poll: dict[str, Any]
    results: PollResults
    report: GameReport


class QuizWinners(BaseModel):
    """The sessions that answered a closed quiz correctly, and the prize each of them won.

    The poll loop credits the prize to their wallets; ``sessions`` are private ids, never shown to
    other viewers.
    """

    show_id: str
    poll_id: str
    opened_at: int
    prize: dict[str, Any] | None
    sessions: list[str]
