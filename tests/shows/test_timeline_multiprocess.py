"""Two gateway processes share a show's timeline: a speed change made through either one is what
the lease holder plays at, through a failover, each cue exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.redis import keys
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer, ProcessServer

SHOW = "rehearsal"
CUES = 30
GAP_MS = 2_000
SPEED = 40.0
MakeServer = Callable[..., Awaitable[LiveServer]]


def write_sheet(directory: Path) -> None:
    """A sheet of announcements every two seconds: a minute at speed 1."""
    lines = "\n".join(
        f'  - {{id: c{i:02d}, at: {i * GAP_MS}, kind: announce, text: "cue {i}"}}'
        for i in range(CUES)
    )
    text = f"id: {SHOW}\ntitle: Rehearsal\nlength: {CUES * GAP_MS}\ncues:\n{lines}\n"
    (directory / "rehearsal.yaml").write_text(text, encoding="utf-8")


async def cue_events(redis: Redis) -> list[dict[str, Any]]:
    """Every cue event in the show stream, in seq order, with its `at`."""
    entries = cast(list[tuple[str, dict[str, str]]], await redis.xrange(keys.show_events(SHOW)))
    events = []
    for _, fields in entries:
        if fields["type"] == "cue":
            events.append({**orjson.loads(fields["data"]), "at": int(fields["at"])})
    return events


async def wait_for_cues(redis: Redis, count: int) -> list[dict[str, Any]]:
    """The cue events once there are ``count`` of them (the stream is polled: no pub/sub here)."""
    async with asyncio.timeout(TIMEOUT_S * 2):
        while True:
            events = await cue_events(redis)
            if len(events) >= count:
                return events
            await asyncio.sleep(0.05)


async def test_speed_change_through_one_process_drives_the_other(
    make_server: MakeServer, redis: Redis, tmp_path: Path
) -> None:
    """Sped up via B while A plays, then A stops: every cue once, timed on the shared timeline."""
    write_sheet(tmp_path)
    settings = {"load_demo": False, "shows_dir": str(tmp_path), "play_shows": True}
    first = await make_server(process=True, **settings)
    second = await make_server(process=True, **settings)
    await wait_for_cues(redis, 1)
    async with second.http() as client:
        response = await client.put(
            f"/api/shows/{SHOW}/timeline",
            json={"speed": SPEED},
            headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
        )
        assert response.status_code == 200, response.text
        anchor = response.json()["anchor"]
        show = (await client.get(f"/api/shows/{SHOW}")).json()["show"]
    # A few cues at the new speed, then the first player goes; the other takes the lease over.
    await wait_for_cues(redis, min(CUES, anchor["sheet_ms"] // GAP_MS + 4))
    holder = await redis.get(keys.show_player_lease(SHOW))
    assert isinstance(first, ProcessServer)
    await first.stop()
    events = await wait_for_cues(redis, CUES)
    # The first process held the lease (it started playing first); the second holds it now.
    assert holder is not None
    assert await redis.get(keys.show_player_lease(SHOW)) not in (None, holder)

    assert sorted(event["cue_id"] for event in events) == [f"c{i:02d}" for i in range(CUES)]
    for event in events:
        offset = int(cast(str, event["cue_id"])[1:]) * GAP_MS
        if offset <= anchor["sheet_ms"]:
            expected = show["starts_at_ms"] + offset
        else:
            expected = anchor["wall_ms"] + (offset - anchor["sheet_ms"]) / SPEED
        assert abs(event["at"] - expected) <= 1, (event, anchor)
    raw_timeline = await redis.get(keys.show_timeline(SHOW))
    assert raw_timeline is not None
    timeline = orjson.loads(raw_timeline)
    assert timeline["version"] == 1
