"""The run-sheet player as a pure function of time: ``step(now)`` returns the cues now due.

No I/O and an injectable clock, so it is tested exactly; ``runner.py`` drives it against Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

from livebuy.shows.models import ScheduledCue, ShowDefinition


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
    """Walks a show's run sheet on its program clock, at rehearsal ``speed``, looping if asked.

    The first step after ``reset`` also returns cues that fell due up to ``catch_up_ms`` ago, so a
    player taking over from a failed one plays what the other missed (publishing is deduplicated).
    """

    def __init__(self, show: ShowDefinition, *, speed: float = 1.0, catch_up_ms: int = 0) -> None:
        self.show = show
        self.speed = speed
        self.catch_up_ms = catch_up_ms
        self._cursor_ms: int | None = None

    def reset(self) -> None:
        """Forget how far the player got; the next step starts with the catch-up window."""
        self._cursor_ms = None

    def at_ms(self, run: int, offset_ms: int) -> int:
        """Wall-clock program time of an offset in a given run."""
        return self.show.starts_at_ms + int((run * self.show.length_ms + offset_ms) / self.speed)

    def run_of(self, time_ms: int) -> int:
        """Which run of the sheet is playing at ``time_ms`` (negative before the start)."""
        elapsed = (time_ms - self.show.starts_at_ms) * self.speed
        return int(elapsed // self.show.length_ms)

    def step(self, now_ms: int) -> list[DueCue]:
        """Cues whose program time falls after the previous step and at or before ``now_ms``."""
        since = self._cursor_ms if self._cursor_ms is not None else now_ms - self.catch_up_ms - 1
        self._cursor_ms = now_ms
        if now_ms < self.show.starts_at_ms:
            return []
        last_run = self.run_of(now_ms)
        if not self.show.loop:
            last_run = min(last_run, 0)
        due = []
        for run in range(max(self.run_of(since), 0), last_run + 1):
            for line in self.show.cues:
                at = self.at_ms(run, line.offset_ms)
                if since < at <= now_ms:
                    due.append(DueCue(run=run, line=line, at_ms=at))
        return due
