"""The live HLS stream served by a real server with a real ffmpeg, and the pages around it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from livebuy.errors import NotFoundError
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.video.service import LiveVideo
from tests.servers import LiveServer

SHOW = "spring-runway"


async def test_playlist_dates_segments_on_the_program_clock(
    make_server: Callable[..., Awaitable[LiveServer]], tmp_path: Path
) -> None:
    """Every listed segment carries a date one segment after the previous, and is served as TS."""
    server = await make_server(video_enabled=True, data_dir=tmp_path)
    async with server.http() as client:
        response = await client.get(f"/video/{SHOW}/index.m3u8")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        pairs = re.findall(
            r"#EXT-X-PROGRAM-DATE-TIME:(\S+)\n#EXTINF:[^\n]*\n(seg(\d+)\.ts)", response.text
        )
        assert pairs, response.text
        dates = [datetime.fromisoformat(date).timestamp() * 1000 for date, _, _ in pairs]
        numbers = [int(number) for _, _, number in pairs]
        for (date, number), (next_date, next_number) in zip(
            zip(dates, numbers, strict=True), zip(dates[1:], numbers[1:], strict=True), strict=False
        ):
            assert round(next_date - date) == (next_number - number) * 1000
        segment = await client.get(f"/video/{SHOW}/{pairs[0][1]}")
        assert segment.status_code == 200
        assert segment.headers["content-type"] == "video/mp2t"
        assert segment.content[:1] == b"\x47"  # MPEG-TS sync byte

        for bad in ("index.m3u8.tmp", "seg999999.ts", "..%2Fsettings.py", "ffmpeg.log"):
            missing = await client.get(f"/video/{SHOW}/{bad}")
            assert missing.status_code == 404, bad
            assert missing.json()["error"]["code"] == "not_found"
        unknown = await client.get("/video/no-such-show/index.m3u8")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "unknown_show"


async def test_video_off_answers_404_with_the_reason(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """Without the setting there is no ffmpeg and the playlist says why."""
    server = await make_server()
    async with server.http() as client:
        response = await client.get(f"/video/{SHOW}/index.m3u8")
    assert response.status_code == 404
    assert "LIVEBUY_VIDEO_ENABLED" in response.json()["error"]["message"]


async def test_missing_ffmpeg_leaves_the_video_unavailable(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """A machine without ffmpeg encodes nothing and says why, instead of crashing."""
    video = LiveVideo(redis_server.url, tmp_path, ffmpeg="no-such-ffmpeg-binary")
    await video.start([SHOW])
    assert video.unavailable_reason is not None
    assert "not installed" in video.unavailable_reason
    try:
        await video.playlist(SHOW)
    except NotFoundError as error:
        assert "not installed" in error.message
    else:
        raise AssertionError("playlist() should raise without ffmpeg")
    status = await video.status(SHOW)
    assert (status["state"], status["encoding"]) == ("starting", False)
    await video.stop()


async def test_pages_and_static_files_are_served(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """The viewer page, a show page, the console and the vendored hls.js come from livebuy itself."""
    server = await make_server()
    async with server.http() as client:
        for path, marker in [
            ("/", "viewer.js"),
            (f"/shows/{SHOW}", "viewer.js"),
            ("/console", "console.js"),
        ]:
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html")
            assert marker in page.text
        script = await client.get("/static/vendor/hls.light.min.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert (await client.get("/static/nope.js")).status_code == 404


async def test_static_files_are_compressed_and_revalidated(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """Scripts and pages go gzipped with an ETag and `no-cache`; a matching If-None-Match is 304."""
    server = await make_server()
    async with server.http() as client:
        for path in ["/static/vendor/hls.light.min.js", "/static/viewer.js", "/", "/console"]:
            first = await client.get(path, headers={"Accept-Encoding": "gzip"})
            assert first.status_code == 200, path
            assert first.headers.get("content-encoding") == "gzip", path
            assert first.headers["cache-control"] == "no-cache", path
            etag = first.headers["etag"]
            again = await client.get(
                path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
            )
            assert again.status_code == 304, path
            assert again.content == b""
        raw = await client.get("/static/viewer.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers
        assert "livebuy" in raw.text
