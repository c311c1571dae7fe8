"""HLS routes: ``/video/{show_id}/index.m3u8`` and its segments."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from livebuy.errors import NotFoundError
from livebuy.shows.service import ShowService
from livebuy.video.encoder import LiveVideo

router = APIRouter(prefix="/video", tags=["video"])

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


def _video(request: Request) -> LiveVideo:
    video: LiveVideo | None = request.app.state.video
    if video is None:
        raise NotFoundError("live video is off (LIVEBUY_VIDEO_ENABLED=false)")
    return video


@router.get("/{show_id}/index.m3u8")
async def playlist(request: Request, show_id: str) -> Response:
    """The show's live playlist with program dates; 404 when the show or the video is missing."""
    shows: ShowService = request.app.state.shows
    await shows.get(show_id)
    text = await _video(request).playlist()
    return Response(text, media_type=PLAYLIST_TYPE, headers={"Cache-Control": "no-store"})


@router.get("/{show_id}/{segment}")
async def segment(request: Request, show_id: str, segment: str) -> FileResponse:
    """One MPEG-TS segment of the live stream (segments never change once listed)."""
    path = _video(request).segment_path(segment)
    return FileResponse(
        path, media_type="video/mp2t", headers={"Cache-Control": "public, max-age=60"}
    )
