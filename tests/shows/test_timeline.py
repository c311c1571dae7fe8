"""Show timelines in Redis (the Lua step) and the producer's timeline endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.redis import keys
from livebuy.shows.models import ScheduledCue, ShowDefinition
from livebuy.shows.timeline_store import MAX_SEGMENTS, TimelineStore
from tests.servers import PRODUCER_TOKEN, LiveServer, receive_json, receive_until

SHOW = "spring-runway"
AUTH = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}
MakeServer = Callable[..., Awaitable[LiveServer]]


def make_show(starts_at_ms: int = 100_000) -> ShowDefinition:
    line = ScheduledCue.model_validate({"id": "a", "at": 0, "kind": "announce", "text": "x"})
    return ShowDefinition(
        id="t", title="t", starts_at_ms=starts_at_ms, length_ms=60_000, cues=[line]
    )


async def test_untouched_show_plays_at_the_configured_speed(redis: Redis) -> None:
    """Nothing stored: the timeline is the configured speed from the show's start, version 0."""
    show = make_show()
    timeline = await TimelineStore(redis, 2.0).read(show)
    assert timeline.version == 0 and timeline.speed == 2.0 and not timeline.paused
    assert timeline.position_at(101_000) == 2_000
    assert await redis.exists(keys.show_timeline(show.id)) == 0


async def test_change_anchors_where_the_head_is(redis: Redis) -> None:
    """A change re-anchors at now with the head's position: before and after agree there."""
    show = make_show()
    store = TimelineStore(redis, 2.0)
    change = await store.change(show, 103_000, speed=10)
    timeline = change.timeline
    assert change.changed and timeline.version == 1
    assert (timeline.anchor.wall_ms, timeline.anchor.sheet_ms) == (103_000, 6_000)
    assert timeline.position_at(102_000) == 4_000  # the earlier segment still maps the past
    assert timeline.position_at(103_500) == 11_000
    assert await store.read(show) == timeline


async def test_pause_holds_and_resume_keeps_the_speed(redis: Redis) -> None:
    """Paused, the head stays put whatever the time; resumed, it moves at the speed set before."""
    show = make_show()
    store = TimelineStore(redis, 1.0)
    await store.change(show, 101_000, speed=4)
    paused = (await store.change(show, 102_000, paused=True)).timeline
    assert paused.paused and paused.speed == 4
    assert paused.position_at(102_000) == paused.position_at(900_000) == 5_000
    resumed = (await store.change(show, 110_000, paused=False)).timeline
    assert not resumed.paused and resumed.version == 3
    assert resumed.position_at(111_000) == 9_000


async def test_a_request_that_changes_nothing_keeps_the_version(redis: Redis) -> None:
    """The same speed again, or resuming a running show, is not a change."""
    show = make_show()
    store = TimelineStore(redis, 1.0)
    assert not (await store.change(show, 101_000, speed=1)).changed
    assert await redis.exists(keys.show_timeline(show.id)) == 0
    first = await store.change(show, 101_000, speed=3)
    again = await store.change(show, 102_000, speed=3, paused=False)
    assert not again.changed and again.timeline == first.timeline


async def test_change_before_the_start_keeps_the_start(redis: Redis) -> None:
    """Re-timed before it starts, the show still starts on time, at the new speed."""
    show = make_show(starts_at_ms=100_000)
    timeline = (await TimelineStore(redis, 1.0).change(show, 90_000, speed=5)).timeline
    assert len(timeline.segments) == 1
    assert (timeline.anchor.wall_ms, timeline.anchor.sheet_ms) == (100_000, 0)
    assert timeline.position_at(99_000) < 0 and timeline.position_at(101_000) == 5_000


async def test_a_clock_behind_the_anchor_cannot_reorder_segments(redis: Redis) -> None:
    """A caller whose now is before the current anchor anchors at the anchor instead."""
    show = make_show()
    store = TimelineStore(redis, 1.0)
    await store.change(show, 105_000, speed=2)
    timeline = (await store.change(show, 104_000, speed=3)).timeline
    walls = [segment.wall_ms for segment in timeline.segments]
    assert walls == sorted(walls) and timeline.anchor.wall_ms == 105_000
    assert timeline.anchor.sheet_ms == 5_000 and timeline.speed == 3


async def test_history_is_bounded(redis: Redis) -> None:
    """Many changes keep the newest MAX_SEGMENTS segments, still continuous."""
    show = make_show()
    store = TimelineStore(redis, 1.0)
    for i in range(MAX_SEGMENTS + 5):
        timeline = (await store.change(show, 101_000 + i * 100, speed=2 + (i % 2))).timeline
    assert len(timeline.segments) == MAX_SEGMENTS
    assert timeline.version == MAX_SEGMENTS + 5
    for earlier, later in zip(timeline.segments, timeline.segments[1:], strict=False):
        assert later.sheet_ms == earlier.sheet_ms + (later.wall_ms - earlier.wall_ms) * earlier.rate


async def put_timeline(server: LiveServer, body: Any, headers: dict[str, str] | None = None) -> Any:
    async with server.http() as client:
        return await client.put(
            f"/api/shows/{SHOW}/timeline", json=body, headers=AUTH if headers is None else headers
        )


async def test_producer_changes_speed_and_viewers_get_a_timeline_frame(
    make_server: MakeServer,
) -> None:
    """PUT speed: answered with the new timeline, pushed as a `timeline` frame, in the snapshot."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
        assert snapshot["data"]["timeline"]["version"] == 0
        assert snapshot["data"]["timeline"]["speed"] == 1.0
        response = await put_timeline(server, {"speed": 2.5})
        assert response.status_code == 200, response.text
        view = response.json()
        assert view["speed"] == 2.5 and view["version"] == 1 and view["paused"] is False
        frame = await receive_until(ws, "timeline")
    assert frame["data"] == {
        "version": 1,
        "speed": 2.5,
        "paused": False,
        "anchor": view["anchor"],
    }
    assert frame["at"] == view["anchor"]["wall_ms"]
    paused = (await put_timeline(server, {"paused": True})).json()
    assert paused["paused"] is True and paused["speed"] == 2.5
    async with server.http() as client:
        got = (await client.get(f"/api/shows/{SHOW}/timeline")).json()
    assert got["version"] == 2 and got["paused"] is True
    assert got["position_ms"] == paused["position_ms"] == got["anchor"]["sheet_ms"]
    async with connect(server.ws_url(SHOW)) as ws:
        late = await receive_json(ws)
    assert late["data"]["timeline"] == {
        "version": 2,
        "speed": 2.5,
        "paused": True,
        "anchor": got["anchor"],
    }


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ({"speed": 0}, AUTH, 422, "invalid_input"),
        ({"speed": -1}, AUTH, 422, "invalid_input"),
        ({"speed": 1000.5}, AUTH, 422, "invalid_input"),
        ({"speed": "fast"}, AUTH, 422, "invalid_input"),
        ({}, AUTH, 422, "invalid_input"),
        ({"speed": 2, "rate": 3}, AUTH, 422, "invalid_input"),
        ({"paused": "maybe"}, AUTH, 422, "invalid_input"),
        ({"speed": 2}, {}, 401, "unauthorized"),
        ({"speed": 2}, {"Authorization": "Bearer nope"}, 403, "forbidden"),
    ],
)
async def test_bad_timeline_requests_change_nothing(
    make_server: MakeServer, body: Any, headers: dict[str, str], status: int, code: str
) -> None:
    """Bad speed, empty or unknown fields, no or wrong token: 4xx JSON and the timeline stays."""
    server = await make_server()
    response = await put_timeline(server, body, headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    async with server.http() as client:
        timeline = (await client.get(f"/api/shows/{SHOW}/timeline")).json()
        detail = (await client.get(f"/api/shows/{SHOW}")).json()
    assert timeline["version"] == 0 and timeline["speed"] == 1.0
    assert detail["latest_seq"] == 0


async def test_unknown_show_timeline_is_404(make_server: MakeServer) -> None:
    """GET or PUT the timeline of a show that does not exist: 404 unknown_show."""
    server = await make_server()
    async with server.http() as client:
        got = await client.get("/api/shows/nope/timeline")
        put = await client.put("/api/shows/nope/timeline", json={"speed": 2}, headers=AUTH)
    for response in (got, put):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_show"


async def test_live_countdown_runs_at_the_speed_in_force(make_server: MakeServer) -> None:
    """A countdown posted after a change to speed 4 ends after a quarter of its duration."""
    server = await make_server()
    assert (await put_timeline(server, {"speed": 4})).status_code == 200
    cue = {"kind": "countdown", "countdown_id": "soon", "label": "Soon", "duration_ms": 40_000}
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_json(ws)
        published = await server.post_cue(SHOW, cue)
        frame = await receive_until(ws, "cue")
    assert frame["data"]["ends_at"] == published["at"] + 10_000
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
    [countdown] = snapshot["data"]["countdowns"]
    assert countdown["ends_at"] == published["at"] + 10_000
