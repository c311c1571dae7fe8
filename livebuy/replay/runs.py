"""Which run of a show a moment belongs to, and when a run starts and ends (pure)."""

from __future__ import annotations

from livebuy.shows.models import ShowDefinition
from livebuy.shows.timeline import Timeline


def run_of(show: ShowDefinition, timeline: Timeline, at_ms: float) -> int | None:
    """The run playing at wall time ``at_ms``; ``None`` before the start or after a single run.

    Program times are whole ms, rounded from the exact moment a cue fell due: half a ms later
    is never before that moment, so the first cue of a run is never filed under the run before.
    """
    position = timeline.position_at(at_ms + 0.5)
    if position < 0:
        return None
    run = int(position // show.length_ms)
    if not show.loop:
        return 0 if position <= show.length_ms else None
    return run


def run_window(show: ShowDefinition, timeline: Timeline, run: int) -> tuple[int, int | None]:
    """Wall times ``run`` starts and ends (``None``: paused before its end, not known yet)."""
    start = timeline.wall_at(run * show.length_ms)
    end = timeline.wall_at((run + 1) * show.length_ms)
    return round(start or 0), None if end is None else round(end)
