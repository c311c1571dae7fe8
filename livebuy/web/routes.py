"""Pages: ``/`` and ``/shows/{show_id}`` (viewer), ``/console`` (producer), ``/static/...``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(tags=["web"])

# Pages change with every deploy; the browser revalidates rather than guessing.
_PAGE_HEADERS = {"Cache-Control": "no-cache"}


@router.get("/", include_in_schema=False)
async def home() -> FileResponse:
    """The viewer page on the first show."""
    return FileResponse(STATIC_DIR / "index.html", headers=_PAGE_HEADERS)


@router.get("/shows/{show_id}", include_in_schema=False)
async def show_page(show_id: str) -> FileResponse:
    """The viewer page on one show (the page reads the id from its URL)."""
    return FileResponse(STATIC_DIR / "index.html", headers=_PAGE_HEADERS)


@router.get("/console", include_in_schema=False)
async def console() -> FileResponse:
    """The producer console (token login in the page)."""
    return FileResponse(STATIC_DIR / "console.html", headers=_PAGE_HEADERS)


def mount_static(app: FastAPI) -> None:
    """Serve the pages' scripts, styles and the vendored hls.js under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
