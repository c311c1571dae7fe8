"""Shows' timelines in Redis: one read per player tick, and one Lua step per producer change.

The anchor of a change is the caller's ``now`` rather than Redis's ``TIME``: the player maps the
time of *its* injectable clock through the timeline, and every other program time (a cue's ``at``,
a countdown's end) comes from the same process clocks, so anchors must share that time base —
and tests then drive changes and steps on one controlled clock. The script never anchors before
the current anchor, so a caller whose clock is behind cannot reorder the segments.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript
from livebuy.shows.models import ShowDefinition
from livebuy.shows.timeline import Timeline


@dataclass(frozen=True)
class TimelineKeys:
    """KEYS of ``timeline_set.lua``."""

    timeline: str


@dataclass(frozen=True)
class TimelineArgs:
    """ARGV of ``timeline_set.lua``: the change (``""``: keep) and the never-re-timed default."""

    now: int
    new_speed: str
    new_paused: int | str
    default_wall: int
    default_speed: str
    max_segments: int


TIMELINE_SET = LuaScript("livebuy.shows", "timeline_set", TimelineKeys, TimelineArgs)

# Enough segments to map the player's catch-up window exactly through a producer's button presses;
# older ones only matter to positions nobody asks about any more.
MAX_SEGMENTS = 16


@dataclass(frozen=True)
class TimelineChange:
    """The timeline after a change request, and whether the request changed it."""

    timeline: Timeline
    changed: bool


class TimelineStore:
    """Reads and changes show timelines; a show never re-timed plays at ``default_speed``."""

    def __init__(self, redis: Redis, default_speed: float) -> None:
        self._redis = redis
        self._default_speed = default_speed
        self._set = TIMELINE_SET.bind(redis)

    def initial(self, show: ShowDefinition) -> Timeline:
        """The timeline of ``show`` before any change."""
        return Timeline.initial(show.starts_at_ms, self._default_speed)

    async def read(self, show: ShowDefinition) -> Timeline:
        """The show's current timeline (one GET)."""
        raw = await self._redis.get(keys.show_timeline(show.id))
        return self.initial(show) if raw is None else Timeline.from_json(raw)

    async def speed(self, show_id: str) -> float:
        """The rehearsal speed set for a show now (paused or not); needs no show definition."""
        raw = await self._redis.get(keys.show_timeline(show_id))
        return self._default_speed if raw is None else Timeline.from_json(raw).speed

    async def change(
        self,
        show: ShowDefinition,
        now_ms: int,
        *,
        speed: float | None = None,
        paused: bool | None = None,
    ) -> TimelineChange:
        """Set the speed and/or pause from ``now_ms`` on; ``None`` keeps what is set."""
        changed, raw = await self._set(
            TimelineKeys(timeline=keys.show_timeline(show.id)),
            TimelineArgs(
                now=now_ms,
                new_speed="" if speed is None else repr(float(speed)),
                new_paused="" if paused is None else int(paused),
                default_wall=show.starts_at_ms,
                default_speed=repr(float(self._default_speed)),
                max_segments=MAX_SEGMENTS,
            ),
        )
        return TimelineChange(timeline=Timeline.from_json(raw), changed=bool(changed))
