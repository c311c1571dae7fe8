"""The run-sheet player as a pure function of time: ``step(now, timeline)`` returns the cues due.

No I/O and an injectable clock, so it is tested exactly; ``runner.py`` drives it against Redis.
The player walks sheet positions, not wall time: the timeline maps wall time to the position, so a
speed change or a pause between two steps neither repeats nor skips a cue.
"""

from __future__ import annotations

from dataclasses import dataclass

from livebuy.shows.models import ScheduledCue, ShowDefinition
from livebuy.shows.timeline import Timeline


@dataclass(frozen=True)
class DueCue:
    """A cue to publish: which run of the sheet, the cue, and its program time."""

    run: int
    line: ScheduledCue
    at_ms: int

    @property
    def dedupe_id(self) -> str:
        """Identity of this cue in this run, used to publish it at most once."""
        return f"run{self.run}:{self.line.id}"


class RunSheetPlayer:
    """Walks a show's run sheet along its timeline, looping if asked.

    The first step after ``reset`` also returns cues that fell due up to ``catch_up_ms`` ago, so a
    player taking over from a failed one plays what the other missed (publishing is deduplicated).
    """

    def __init__(self, show: ShowDefinition, *, catch_up_ms: int = 0) -> None:
        self.show = show
        self.catch_up_ms = catch_up_ms
        self._cursor: float | None = None

    def reset(self) -> None:
        """Forget how far the player got; the next step starts with the catch-up window."""
        self._cursor = None

    def run_of(self, position: float) -> int:
        """Which run of the sheet a sheet position is in (negative before the start)."""
        return int(position // self.show.length_ms)

    def next_at(self, timeline: Timeline) -> float | None:
        """Wall time of the first cue past where the player got (``inf``: none ahead, or paused
        before it; ``None``: the player has not stepped since its reset)."""
        if self._cursor is None:
            return None
        since = self._cursor
        first_run = max(self.run_of(since), 0)
        runs = (first_run, first_run + 1) if self.show.loop else (0,)
        ahead = [
            run * self.show.length_ms + line.offset_ms
            for run in runs
            for line in self.show.cues
            if run * self.show.length_ms + line.offset_ms > since
        ]
        if not ahead:
            return float("inf")
        at = timeline.wall_at(min(ahead))
        return float("inf") if at is None else at

    def step(self, now_ms: int, timeline: Timeline) -> list[DueCue]:
        """Cues the play head passed since the previous step, up to where it is at ``now_ms``."""
        position = timeline.position_at(now_ms)
        since = self._cursor
        if since is None:
            since = timeline.position_at(now_ms - self.catch_up_ms - 1)
        # The cursor never moves back: a timeline anchored a little behind what this player
        # already played (another process's clock) waits instead of replaying.
        self._cursor = max(since, position)
        if position < 0 or position <= since:
            return []
        last_run = self.run_of(position)
        if not self.show.loop:
            last_run = min(last_run, 0)
        due = []
        for run in range(max(self.run_of(since), 0), last_run + 1):
            for line in self.show.cues:
                sheet_ms = run * self.show.length_ms + line.offset_ms
                if since < sheet_ms <= position:
                    at = timeline.wall_at(sheet_ms)
                    at_ms = now_ms if at is None else min(now_ms, round(at))
                    due.append(DueCue(run=run, line=line, at_ms=at_ms))
        return due
