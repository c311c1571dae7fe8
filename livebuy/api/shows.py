"""Show endpoints: list, one show with its run sheet and state, live producer cues, timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from livebuy import metrics
from livebuy.api.auth import ProducerDep
from livebuy.api.deps import ShowsDep, SnapshotsDep
from livebuy.shows.models import (
    LiveCueRequest,
    PublishedCue,
    ShowDefinition,
    ShowSummary,
    TimelineRequest,
    TimelineView,
)

router = APIRouter(prefix="/api/shows", tags=["shows"])


class ShowDetail(BaseModel):
    """A show with its run sheet and its current state (what a joining viewer would get)."""

    show: ShowDefinition
    latest_seq: int
    state: dict[str, Any]


@router.get("")
async def list_shows(shows: ShowsDep) -> list[ShowSummary]:
    """Every show."""
    return await shows.list()


@router.get("/{show_id}")
async def get_show(shows: ShowsDep, snapshots: SnapshotsDep, show_id: str) -> ShowDetail:
    """One show with its run sheet and current state; unknown id: 404."""
    show = await shows.get(show_id)
    position, state = await snapshots.build(show_id)
    return ShowDetail(
        show=show, latest_seq=position.seq, state=state.model_dump(mode="json", exclude_unset=True)
    )


@router.post("/{show_id}/cues", status_code=201)
async def post_cue(
    shows: ShowsDep, show_id: str, body: LiveCueRequest, _: ProducerDep
) -> PublishedCue:
    """Play a producer's cue now (bearer token: 401 without, 403 wrong)."""
    published = await shows.publish_live(show_id, body.cue, body.id)
    metrics.CUES_PUBLISHED.labels("producer").inc()
    return published


@router.get("/{show_id}/timeline")
async def get_timeline(shows: ShowsDep, show_id: str) -> TimelineView:
    """The show's rehearsal timeline: speed, pause, anchor and the play head now."""
    return await shows.timeline_view(show_id)


@router.put("/{show_id}/timeline")
async def put_timeline(
    shows: ShowsDep, show_id: str, body: TimelineRequest, _: ProducerDep
) -> TimelineView:
    """Change the rehearsal speed or pause/resume the run sheet, from now on (bearer token)."""
    return await shows.change_timeline(show_id, speed=body.speed, paused=body.paused)
