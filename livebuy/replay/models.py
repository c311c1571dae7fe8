"""What the replay API returns (pydantic at the edge)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ReplayRun(BaseModel):
    """One recorded run of the show: when it played and whether it has ended."""

    run: int = Field(description="run number: the run sheet's plays counted from the show's start")
    starts_at: int = Field(description="program time (ms) the run started")
    ends_at: int | None = Field(description="program time (ms) the run ended or will end")
    ended: bool = Field(description="the run is over: its playlist is complete (VOD)")


class ReplayRuns(BaseModel):
    """The show's recorded runs, newest first."""

    show_id: str
    runs: list[ReplayRun]


class ReplayState(BaseModel):
    """What viewers had on screen at program time ``at`` of a recorded run.

    The same parts as the live snapshot: pinned products with their cards (current price and
    stock: replay buys at the regular price), deals and countdowns running then (over now), and
    the announcement.
    """

    show_id: str
    run: int
    at: int = Field(description="the program time asked for, clamped to the run")
    seq: int = Field(description="the last show event reflected (live `seq`)")
    pinned: list[dict[str, Any]]
    deals: list[dict[str, Any]]
    countdowns: list[dict[str, Any]]
    announcement: dict[str, Any] | None


class ReplayEntry(BaseModel):
    """One cue, chat or reactions event of the run, as viewers got it live."""

    seq: int
    type: str = Field(description="frame type: `cue`, `chat` or `reactions`")
    at: int = Field(description="program time (ms)")
    data: dict[str, Any] = Field(description="the frame's `data`, as live")


class ReplayTimeline(BaseModel):
    """A page of the run's entries in program-time order."""

    show_id: str
    run: int
    entries: list[ReplayEntry]
    next_offset: int | None = Field(description="`offset` of the next page; null on the last")
