"""HLS routes: ``/video/{show_id}/index.m3u8``, its segments, and who encodes the stream."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from livebuy.api.deps import ServicesDep
from livebuy.errors import NotFoundError
from livebuy.services import Services
from livebuy.video.service import LiveVideo

router = APIRouter(prefix="/video", tags=["video"])

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


async def _video(services: Services, show_id: str) -> LiveVideo:
    video = services.video
    # A show already streamed here needs no lookup: viewers' polls then cost Redis nothing.
    if video is None or not video.knows(show_id):
        await services.shows.get(show_id)
    if video is None:
        raise NotFoundError("live video is off (LIVEBUY_VIDEO_ENABLED=false)")
    return video


@router.get("/{show_id}/index.m3u8")
async def playlist(services: ServicesDep, show_id: str) -> Response:
    """The show's live playlist with program dates; 404 when the show or the video is missing."""
    text = await (await _video(services, show_id)).playlist(show_id)
    return Response(text, media_type=PLAYLIST_TYPE, headers={"Cache-Control": "no-store"})


@router.get("/{show_id}/status")
async def status(services: ServicesDep, show_id: str) -> dict[str, Any]:
    """Whether this process encodes the show (its ffmpeg pid) and how fresh the shared stream is."""
    return await (await _video(services, show_id)).status(show_id)


@router.get("/{show_id}/{segment}")
async def segment(services: ServicesDep, show_id: str, segment: str) -> Response:
    """One MPEG-TS segment of the live stream (segments never change once listed)."""
    data = await (await _video(services, show_id)).segment(show_id, segment)
    return Response(data, media_type="video/mp2t", headers={"Cache-Control": "public, max-age=60"})
