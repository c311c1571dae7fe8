"""Pages: ``/`` and ``/shows/{show_id}`` (viewer), ``/console`` (producer), ``/static/...``."""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(tags=["web"])

# Pages and scripts change with every deploy and their URLs do not: the browser keeps them but
# revalidates each time (ETag, 304), so a deploy is never half old, half new.
_REVALIDATE = "no-cache"


class _RevalidatedFiles(StaticFiles):
    """Static files with ``Cache-Control: no-cache`` on top of Starlette's ETag and 304."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = _REVALIDATE
        return response


@lru_cache(maxsize=8)
def _page_bytes(name: str, version: str) -> tuple[bytes, bytes]:
    """A page as read and as gzipped, once per file version (``version`` is its ETag)."""
    body = (STATIC_DIR / name).read_bytes()
    return body, gzip.compress(body, compresslevel=6, mtime=0)


def _page(request: Request, name: str) -> Response:
    stat = (STATIC_DIR / name).stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {"Cache-Control": _REVALIDATE, "ETag": etag, "Vary": "Accept-Encoding"}
    matches = request.headers.get("if-none-match", "").split(",")
    if etag in (tag.strip().removeprefix("W/") for tag in matches):
        return Response(status_code=304, headers=headers)
    body, zipped = _page_bytes(name, etag)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = zipped
    return Response(body, media_type="text/html", headers=headers)


@router.get("/")
async def home(request: Request) -> Response:
    """The viewer page on the first show."""
    return _page(request, "index.html")


@router.get("/shows/{show_id}")
async def show_page(request: Request, show_id: str) -> Response:
    """The viewer page on one show (the page reads the id from its URL)."""
    return _page(request, "index.html")


@router.get("/replay/{show_id}")
async def replay_page(request: Request, show_id: str) -> Response:
    """The replay page of one show (``?run=``, ``?t=`` program ms deep-link; read by the page)."""
    return _page(request, "replay.html")


@router.get("/console")
async def console(request: Request) -> Response:
    """The producer console (token login in the page)."""
    return _page(request, "console.html")


def mount_static(app: FastAPI) -> None:
    """Serve the pages' scripts, styles and the vendored hls.js under ``/static``, gzipped.

    Compressed per request (hls.js: 389 KB, 120 KB gzipped); the middleware leaves images and
    video alone and answers a 304 without a body.
    """
    files = _RevalidatedFiles(directory=STATIC_DIR)
    app.mount("/static", GZipMiddleware(files, minimum_size=500, compresslevel=6), name="static")
