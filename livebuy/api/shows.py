"""Show endpoints: list, one show with its run sheet and state, and live producer cues."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from livebuy import metrics
from livebuy.api.auth import ProducerDep
from livebuy.shows.models import LiveCueRequest, PublishedCue, ShowDefinition, ShowSummary
from livebuy.shows.service import ShowService

router = APIRouter(prefix="/api/shows", tags=["shows"])


class ShowDetail(BaseModel):
    """A show with its run sheet and its current state (what a joining viewer would get)."""

    show: ShowDefinition
    latest_seq: int
    state: dict[str, Any]


def _shows(request: Request) -> ShowService:
    service: ShowService = request.app.state.shows
    return service


@router.get("")
async def list_shows(request: Request) -> list[ShowSummary]:
    """Every show."""
    return await _shows(request).list()


@router.get("/{show_id}")
async def get_show(request: Request, show_id: str) -> ShowDetail:
    """One show with its run sheet and current state; unknown id: 404."""
    service = _shows(request)
    show = await service.get(show_id)
    position, state = await service.snapshot(show_id)
    return ShowDetail(show=show, latest_seq=position.seq, state=state)


@router.post("/{show_id}/cues", status_code=201)
async def post_cue(
    request: Request, show_id: str, body: LiveCueRequest, _: ProducerDep
) -> PublishedCue:
    """Play a producer's cue now (bearer token: 401 without, 403 wrong)."""
    published = await _shows(request).publish_live(show_id, body.cue, body.id)
    metrics.CUES_PUBLISHED.labels("producer").inc()
    return published
