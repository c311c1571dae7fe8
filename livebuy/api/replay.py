"""Replay routes: a show's recorded runs, the state at a moment, the timeline, the VOD video."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from livebuy.api.deps import ReplayDep
from livebuy.replay.models import ReplayRuns, ReplayState, ReplayTimeline

router = APIRouter(prefix="/api/shows", tags=["replay"])
video_router = APIRouter(prefix="/video", tags=["replay"])

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
# Far beyond any run (a ten-minute run holds a few hundred entries per thousand viewers).
MAX_OFFSET = 10_000_000


@router.get("/{show_id}/replay")
async def runs(replay: ReplayDep, show_id: str) -> ReplayRuns:
    """The show's recorded runs, newest first (404 for an unknown show)."""
    return await replay.runs(show_id)


@router.get("/{show_id}/replay/{run}/state")
async def state(
    replay: ReplayDep,
    show_id: str,
    run: int,
    at: Annotated[int, Query(ge=0, description="program time (ms since the Unix epoch)")],
) -> ReplayState:
    """What was pinned, announced and counting down at program time ``at`` of the run."""
    return await replay.state_at(show_id, run, at)


@router.get("/{show_id}/replay/{run}/timeline")
async def timeline(
    replay: ReplayDep,
    show_id: str,
    run: int,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="first entry")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="entries per page")] = 500,
) -> ReplayTimeline:
    """The run's cue, chat and reactions entries in program-time order, a page at a time."""
    return await replay.timeline(show_id, run, offset, limit)


@video_router.get("/{show_id}/replay/{run}/index.m3u8")
async def playlist(replay: ReplayDep, show_id: str, run: int) -> Response:
    """The run's recorded playlist: ``EVENT`` while it records, ``VOD`` with an end once over."""
    text = await replay.playlist(show_id, run)
    ended = "#EXT-X-ENDLIST" in text
    cache = "public, max-age=3600" if ended else "no-store"
    return Response(text, media_type=PLAYLIST_TYPE, headers={"Cache-Control": cache})


@video_router.get("/{show_id}/replay/{run}/{segment}")
async def segment(replay: ReplayDep, show_id: str, run: int, segment: str) -> Response:
    """One recorded MPEG-TS segment (never changes once recorded)."""
    data = await replay.segment(show_id, run, segment)
    return Response(
        data, media_type="video/mp2t", headers={"Cache-Control": "public, max-age=86400"}
    )
