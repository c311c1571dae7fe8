"""One encoder per show across processes sharing Redis; a survivor takes over when it dies."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from livebuy.redis import keys
from tests.servers import TIMEOUT_S, LiveServer, start_together

SHOW = "spring-runway"
LEASE_MS = 1000
SEGMENT = re.compile(
    r"(#EXT-X-DISCONTINUITY\n)?#EXT-X-PROGRAM-DATE-TIME:(\S+)\n#EXTINF:[^\n]*\n(seg(\d+)\.ts)"
)


def ffmpeg_children(pid: int) -> list[int]:
    """Live ffmpeg processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        if name == "ffmpeg" and int(parent) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def segments(playlist: str) -> list[tuple[bool, float, str, int]]:
    """(discontinuity before it, program date ms, name, number) of each listed segment."""
    return [
        (bool(tag), datetime.fromisoformat(date).timestamp() * 1000, name, int(number))
        for tag, date, name, number in SEGMENT.findall(playlist)
    ]


def media_sequence(playlist: str) -> int:
    match = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist)
    assert match is not None, playlist
    return int(match.group(1))


async def eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Poll ``check`` until it returns something truthy, failing after the suite's timeout."""
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                result = await check()
                if result:
                    return result
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def status(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(f"/video/{SHOW}/status")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def assert_plays(client: httpx.AsyncClient, name: str, directory: Path) -> bytes:
    """The segment is served as MPEG-TS and ffprobe finds its H.264 video stream."""
    response = await client.get(f"/video/{SHOW}/{name}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "video/mp2t"
    assert response.content[:1] == b"\x47"  # MPEG-TS sync byte
    path = directory / name
    path.write_bytes(response.content)
    probe = await asyncio.create_subprocess_exec(
        "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name",
        "-of", "csv=p=0", str(path), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await probe.communicate()
    assert (probe.returncode, set(out.split())) == (0, {b"h264"})
    return response.content


async def test_one_ffmpeg_for_two_processes_and_the_survivor_takes_over(
    make_server: Callable[..., Awaitable[LiveServer]], tmp_path: Path
) -> None:
    """Exactly one of two processes runs ffmpeg, both serve its stream; killing it hands over."""
    settings = {"video_enabled": True, "video_lease_ms": LEASE_MS, "data_dir": tmp_path}
    servers = await start_together(make_server, 2, process=True, **settings)
    clients = [server.http() for server in servers]
    try:
        states = await eventually(
            lambda: _states_once_settled(clients), "one encoding process and one following"
        )
        holder = next(index for index, state in enumerate(states) if state["encoding"])
        old, new = states[holder], states[1 - holder]
        assert await asyncio.to_thread(ffmpeg_children, old["pid"]) == [old["ffmpeg_pid"]]
        assert await asyncio.to_thread(ffmpeg_children, new["pid"]) == []
        assert new["ffmpeg_pid"] is None

        async def same_playlist() -> str | None:
            texts = [(await client.get(f"/video/{SHOW}/index.m3u8")).text for client in clients]
            return texts[0] if texts[0] == texts[1] and segments(texts[0]) else None

        before = segments(await eventually(same_playlist, "both processes listing the same"))
        name = before[-1][2]
        assert await assert_plays(clients[0], name, tmp_path) == await assert_plays(
            clients[1], name, tmp_path
        )

        os.kill(old["pid"], signal.SIGKILL)
        await eventually(
            lambda: asyncio.to_thread(lambda: not alive(old["ffmpeg_pid"])),
            "the dead holder's ffmpeg to die with it",
        )
        survivor = clients[1 - holder]

        async def taken_over() -> str | None:
            text = (await survivor.get(f"/video/{SHOW}/index.m3u8")).text
            listed = segments(text)
            return text if any(tag for tag, _, _, _ in listed) else None

        after_text = await eventually(taken_over, "the survivor's first segment")
        after = segments(after_text)
        assert media_sequence(after_text) >= before[0][3]
        numbers = [number for _, _, _, number in after]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        cut = next(index for index, (tag, _, _, _) in enumerate(after) if tag)
        assert after[cut][3] > before[-1][3]
        # The program clock runs on across the cut: the new run starts later than the old ended.
        assert cut == 0 or after[cut][1] > after[cut - 1][1]
        await assert_plays(survivor, after[cut][2], tmp_path)

        took_over = await status(survivor)
        assert took_over["encoding"] and took_over["pid"] == new["pid"]
        assert await asyncio.to_thread(ffmpeg_children, new["pid"]) == [took_over["ffmpeg_pid"]]
        assert (await survivor.get("/readyz")).json() == {"status": "ready", "video": "encoding"}
    finally:
        for client in clients:
            await client.aclose()


async def _states_once_settled(clients: list[httpx.AsyncClient]) -> list[dict[str, Any]] | None:
    states = [await status(client) for client in clients]
    settled = sorted(state["state"] for state in states) == ["encoding", "following"]
    return states if settled else None


async def test_losing_the_lease_stops_ffmpeg_and_a_new_run_is_a_discontinuity(
    make_server: Callable[..., Awaitable[LiveServer]], redis: Redis, tmp_path: Path
) -> None:
    """A holder whose lease is taken stops its ffmpeg; re-elected, it starts a new marked run."""
    server = await make_server(video_enabled=True, video_lease_ms=LEASE_MS, data_dir=tmp_path)
    async with server.http() as client:
        first = await status(client)
        assert first["encoding"], first
        assert (await client.get("/readyz")).json() == {"status": "ready", "video": "encoding"}
        await redis.set(keys.video_lease(SHOW), "another-process", px=LEASE_MS)

        async def stopped() -> bool:
            return not (await status(client))["encoding"] and not alive(first["ffmpeg_pid"])

        await eventually(stopped, "ffmpeg to stop once the lease is someone else's")
        before = (await client.get(f"/video/{SHOW}/index.m3u8")).text
        await redis.delete(keys.video_lease(SHOW))

        async def new_run() -> str | None:
            text = (await client.get(f"/video/{SHOW}/index.m3u8")).text
            return text if "#EXT-X-DISCONTINUITY\n" in text else None

        after = await eventually(new_run, "a new encoder run")
        assert media_sequence(after) >= media_sequence(before)
        assert (await status(client))["generation"] != first["generation"]
        assert segments(after)[-1][3] > segments(before)[-1][3]
