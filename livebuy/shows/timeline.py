"""A show's timeline: how wall time maps to the position on its run sheet, piece by piece.

The play head moves at the rehearsal speed from an anchor (a wall time and the sheet position
there). A producer changing the speed or pausing starts a new segment anchored where the play head
is at that moment, so the position never jumps. The sheet position counts every run of a looping
sheet (run ``n`` covers ``[n * length, (n + 1) * length)``), so the run number follows from it.

Pure data and arithmetic; ``timeline_store.py`` keeps it in Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from livebuy.shows.models import ShowDefinition, TimelineAnchor, TimelineView


@dataclass(frozen=True)
class Segment:
    """From ``wall_ms`` on, the play head leaves ``sheet_ms`` at ``speed`` (held while paused)."""

    wall_ms: int
    sheet_ms: int
    speed: float
    paused: bool

    @property
    def rate(self) -> float:
        """Sheet ms per wall ms: the speed, or 0 while paused."""
        return 0.0 if self.paused else self.speed

    def to_json(self) -> dict[str, Any]:
        """The segment as stored in Redis and sent to clients."""
        return {
            "wall_ms": self.wall_ms,
            "sheet_ms": self.sheet_ms,
            "speed": self.speed,
            "paused": self.paused,
        }


@dataclass(frozen=True)
class Timeline:
    """The segments of a show's timeline, oldest first (at least one), and its change count."""

    version: int
    segments: tuple[Segment, ...]

    @classmethod
    def initial(cls, starts_at_ms: int, speed: float) -> Timeline:
        """The timeline of a show nobody re-timed: the configured speed from its start."""
        return cls(version=0, segments=(Segment(starts_at_ms, 0, speed, False),))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Timeline:
        """Parse the stored form (written by ``timeline_set.lua``)."""
        value = orjson.loads(raw)
        segments = tuple(
            Segment(
                wall_ms=int(segment["wall_ms"]),
                sheet_ms=int(segment["sheet_ms"]),
                speed=float(segment["speed"]),
                paused=bool(segment["paused"]),
            )
            for segment in value["segments"]
        )
        return cls(version=int(value["version"]), segments=segments)

    @property
    def anchor(self) -> Segment:
        """The segment in force from its anchor on."""
        return self.segments[-1]

    @property
    def speed(self) -> float:
        """The rehearsal speed set now (kept while paused, so resuming restores it)."""
        return self.anchor.speed

    @property
    def paused(self) -> bool:
        """Whether the play head is held still."""
        return self.anchor.paused

    def position_at(self, wall_ms: float) -> float:
        """Sheet position at ``wall_ms`` (negative before the show starts)."""
        segment = self.segments[0]
        if wall_ms < segment.wall_ms:
            # Before the recorded history: the first segment's speed, run backwards.
            return segment.sheet_ms - (segment.wall_ms - wall_ms) * segment.speed
        for candidate in self.segments[1:]:
            if candidate.wall_ms > wall_ms:
                break
            segment = candidate
        return segment.sheet_ms + (wall_ms - segment.wall_ms) * segment.rate

    def wall_at(self, sheet_ms: float) -> float | None:
        """First wall time the play head reaches ``sheet_ms``; ``None`` while paused before it."""
        previous: Segment | None = None
        for segment in self.segments:
            if sheet_ms <= segment.sheet_ms:
                if previous is None:
                    return segment.wall_ms - (segment.sheet_ms - sheet_ms) / segment.speed
                if previous.rate > 0:
                    return min(
                        previous.wall_ms + (sheet_ms - previous.sheet_ms) / previous.rate,
                        segment.wall_ms,
                    )
                return segment.wall_ms
            previous = segment
        anchor = self.anchor
        if anchor.rate == 0:
            return None
        return anchor.wall_ms + (sheet_ms - anchor.sheet_ms) / anchor.rate

    def to_json(self) -> dict[str, Any]:
        """What clients get (snapshot, ``timeline`` frames): version, speed, pause and anchor."""
        return {
            "version": self.version,
            "speed": self.speed,
            "paused": self.paused,
            "anchor": {"wall_ms": self.anchor.wall_ms, "sheet_ms": self.anchor.sheet_ms},
        }

    def view(self, show: ShowDefinition, now_ms: int) -> TimelineView:
        """The timeline as the API returns it, with the play head at ``now_ms``."""
        position = int(self.position_at(now_ms))
        run: int | None = None
        offset: int | None = None
        if position >= 0:
            run, offset = divmod(position, show.length_ms)
            if not show.loop and run > 0:
                # A sheet that does not loop stays at its end.
                run, offset = 0, show.length_ms
        return TimelineView(
            show_id=show.id,
            version=self.version,
            speed=self.speed,
            paused=self.paused,
            anchor=TimelineAnchor(wall_ms=self.anchor.wall_ms, sheet_ms=self.anchor.sheet_ms),
            now_ms=now_ms,
            position_ms=position,
            run=run,
            offset_ms=offset,
        )
