"""Shoppable replay against a real server playing the demo show fast, with the real video.

One server for the module (the demo's looping show at high rehearsal speed, ffmpeg on): the
tests read what it recorded of its runs, including one run whose encoder was killed mid-run.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from catalog.demo import load_demo_catalog
from livebuy.content import demo_run_sheet
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.shows.runsheet import RunSheetFile
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, InProcessServer, settings_for_tests

SHOW = "spring-runway"
# The ten-minute demo sheet in five seconds a run; segments stay one second.
SPEED = 120.0
SEGMENT = re.compile(
    r"(#EXT-X-DISCONTINUITY\n)?#EXT-X-PROGRAM-DATE-TIME:(\S+)\n#EXTINF:([0-9.]+),\n(seg\d+\.ts)"
)


async def eventually(check: Callable[[], Awaitable[Any]], what: str, scale: float = 1) -> Any:
    """Poll ``check`` until it returns something truthy, failing after the suite's timeout."""
    try:
        async with asyncio.timeout(TIMEOUT_S * scale):
            while True:
                result = await check()
                if result:
                    return result
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


class Recorded:
    """The module's server, the live snapshots sampled while it played, and its killed run."""

    def __init__(self, server: InProcessServer) -> None:
        self.server = server
        self.client = server.http()
        # (seq, wall ms after the answer, state) of every live snapshot taken.
        self.snapshots: list[tuple[int, int, dict[str, Any]]] = []
        self.failover_run: int | None = None

    async def get(self, url: str, **params: Any) -> Any:
        response = await self.client.get(url, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def runs(self) -> dict[int, dict[str, Any]]:
        body = await self.get(f"/api/shows/{SHOW}/replay")
        return {run["run"]: run for run in body["runs"]}

    async def timeline(self, run: int) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            page = await self.get(
                f"/api/shows/{SHOW}/replay/{run}/timeline", offset=offset, limit=7
            )
            entries += page["entries"]
            offset = page["next_offset"]
        return entries

    async def state(self, run: int, at: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.get(f"/api/shows/{SHOW}/replay/{run}/state", at=at)
        return result

    async def sample(self, until_run_ended: int) -> None:
        """Take live snapshots as fast as they come until run ``until_run_ended`` is over."""
        while True:
            detail = await self.get(f"/api/shows/{SHOW}")
            self.snapshots.append((detail["latest_seq"], int(time.time() * 1000), detail["state"]))
            run = (await self.runs()).get(until_run_ended)
            if run is not None and run["ended"]:
                return


@pytest.fixture(scope="module")
async def recorded(
    redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Recorded]:
    """The demo show played for three runs: snapshots sampled, run 2's encoder killed mid-run."""
    client = connect(redis_server.url)
    await client.flushdb()
    await client.aclose()
    settings = settings_for_tests(
        play_shows=True,
        speed=SPEED,
        video_enabled=True,
        video_lease_ms=1000,
        replay_interval_ms=100,
        replay_runs_kept=3,
        data_dir=tmp_path_factory.mktemp("replay"),
    )
    server = InProcessServer(settings, redis_server.url)
    await server.start()
    recorded = Recorded(server)
    try:
        await recorded.sample(until_run_ended=1)
        # Run 2: kill the encoder once the run has recorded video; the same process takes over
        # with a new encoder run (a new generation) after stepping aside.
        await eventually(lambda: _has_video(recorded, 2), "run 2's first recorded segment", scale=2)
        status = await recorded.get(f"/video/{SHOW}/status")
        os.kill(status["ffmpeg_pid"], signal.SIGKILL)
        recorded.failover_run = 2
        await eventually(lambda: _ended(recorded, 2), "the end of run 2", scale=2)
        # No more runs: the tests read runs 0-3 in any order (run 0 is gone: 3 runs are kept).
        await recorded.client.put(
            f"/api/shows/{SHOW}/timeline",
            json={"paused": True},
            headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
        )
        yield recorded
    finally:
        await recorded.client.aclose()
        await server.stop()


async def _has_video(recorded: Recorded, run: int) -> bool:
    response = await recorded.client.get(f"/video/{SHOW}/replay/{run}/index.m3u8")
    return response.status_code == 200


async def _ended(recorded: Recorded, run: int) -> bool:
    runs = await recorded.runs()
    if run not in runs or not runs[run]["ended"]:
        return False
    response = await recorded.client.get(f"/video/{SHOW}/replay/{run}/index.m3u8")
    return "#EXT-X-ENDLIST" in response.text


def _segments(playlist: str) -> list[tuple[bool, int, float, str]]:
    """(discontinuity before it, program date ms, duration s, name) of each listed segment."""
    return [
        (bool(tag), round(datetime.fromisoformat(date).timestamp() * 1000), float(length), name)
        for tag, date, length, name in SEGMENT.findall(playlist)
    ]


async def _assert_vod(recorded: Recorded, run: int) -> list[tuple[bool, int, float, str]]:
    """The run's playlist is a finished VOD, dated, and every segment it lists is served."""
    response = await recorded.client.get(f"/video/{SHOW}/replay/{run}/index.m3u8")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.apple.mpegurl"
    text = response.text
    assert text.startswith("#EXTM3U\n")
    assert "#EXT-X-PLAYLIST-TYPE:VOD\n" in text
    assert text.endswith("#EXT-X-ENDLIST\n")
    segments = _segments(text)
    # Every media line is one of the dated segments.
    assert len(segments) == len(re.findall(r"^seg\d+\.ts$", text, re.M)) > 0
    target = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", text).group(1))  # type: ignore[union-attr]
    for _, _, duration, name in segments:
        assert round(duration) <= target
        segment = await recorded.client.get(f"/video/{SHOW}/replay/{run}/{name}")
        assert segment.status_code == 200
        assert segment.headers["content-type"] == "video/mp2t"
        assert segment.content[:1] == b"\x47"  # MPEG-TS sync byte
    return segments


async def test_a_finished_run_is_a_complete_vod(recorded: Recorded) -> None:
    """Run 1 (video all along) is a VOD covering the run, segment after segment, with no gap."""
    run = (await recorded.runs())[1]
    segments = await _assert_vod(recorded, 1)
    assert not any(discontinuity for discontinuity, _, _, _ in segments)
    assert segments[0][1] <= run["starts_at"]
    last = segments[-1]
    assert last[1] + last[2] * 1000 >= run["ends_at"]
    for (_, date, duration, _), (_, next_date, _, _) in zip(segments, segments[1:], strict=False):
        assert abs(next_date - (date + duration * 1000)) <= 50


async def test_a_run_with_an_encoder_failover_stays_playable(recorded: Recorded) -> None:
    """Run 2 lost its encoder mid-run: the new encoder's segments follow a discontinuity."""
    assert recorded.failover_run == 2
    segments = await _assert_vod(recorded, 2)
    marks = [index for index, (discontinuity, _, _, _) in enumerate(segments) if discontinuity]
    assert len(marks) == 1 and 0 < marks[0] < len(segments)
    dates = [date for _, date, _, _ in segments]
    assert dates == sorted(dates)
    # Before and after the mark, segments follow each other; the gap is where no encoder ran.
    for part in (segments[: marks[0]], segments[marks[0] :]):
        for (_, date, duration, _), (_, next_date, _, _) in zip(part, part[1:], strict=False):
            assert abs(next_date - (date + duration * 1000)) <= 50


def _demo_sheet() -> RunSheetFile:
    return demo_run_sheet({product.id for product in load_demo_catalog()})


async def test_state_at_a_moment_equals_the_live_snapshot_then(recorded: Recorded) -> None:
    """The state rebuilt for a moment equals what the live snapshot showed at that moment."""
    cues = [(e["seq"], e["at"]) for e in await recorded.timeline(1) if e["type"] == "cue"]
    assert len(cues) == len(_demo_sheet().cues)  # every cue of the demo sheet
    compared = 0
    replayed: dict[int, dict[str, Any]] = {}  # one state request per moment
    for seq, wall, live in recorded.snapshots:
        # Snapshots taken while run 1 played (run 0 is no longer kept).
        before = [cue for cue in cues if cue[0] <= seq]
        if not before or seq > cues[-1][0]:
            continue
        cue_seq, at = before[-1]
        if any(other[1] == at and other[0] > cue_seq for other in cues):
            continue  # another cue at the same moment is not in this snapshot yet
        if at not in replayed:
            replayed[at] = await recorded.state(1, at)
        replay = replayed[at]
        assert _comparable(replay, wall) == _comparable(live, wall), (seq, at)
        compared += 1
    assert compared >= 10 and len(replayed) >= 10


def _comparable(state: dict[str, Any], wall: int) -> dict[str, Any]:
    """Pins (not their cards' live stock), announcement, and deals/countdowns running at ``wall``."""
    return {
        "pins": [(pin["product_id"], pin["cue_id"], pin["at"]) for pin in state["pinned"]],
        "announcement": state["announcement"],
        "deals": sorted(d["deal_id"] for d in state["deals"] if (d["ends_at"] or wall + 1) > wall),
        "countdowns": sorted(c["countdown_id"] for c in state["countdowns"] if c["ends_at"] > wall),
    }


async def test_seeking_forward_backward_and_past_the_ends(recorded: Recorded) -> None:
    """Any order of seeks gives the same states; before the first cue the state carried from the
    run before, after the end the run's last state."""
    run = (await recorded.runs())[1]
    cues = [e for e in await recorded.timeline(1) if e["type"] == "cue"]
    moments = [cue["at"] for cue in cues[::5]]
    forward = [await recorded.state(1, at) for at in moments]
    backward = [await recorded.state(1, at) for at in reversed(moments)]
    assert [s["seq"] for s in forward] == [s["seq"] for s in reversed(backward)]
    assert [s["pinned"] for s in forward] == [s["pinned"] for s in reversed(backward)]
    before = await recorded.state(1, 0)
    assert before["at"] == run["starts_at"]
    # Before the first cue (the reset, at the run's very start): run 0's goodbye banner is up.
    assert before["pinned"] == [] and before["seq"] == cues[0]["seq"]
    assert before["announcement"]["cue_id"] == "goodbye"
    at = {cue["data"]["cue_id"]: cue["at"] for cue in cues}
    welcome = await recorded.state(1, at["welcome"])
    assert welcome["announcement"]["cue_id"] == "welcome"
    finale = await recorded.state(1, at["finale-earrings"])
    assert [p["product_id"] for p in finale["pinned"]] == [
        "velmora-pleated-wrap-dress", "velmora-mohair-cardigan", "oro-fino-pearl-drop-earrings",
    ]  # fmt: skip
    assert finale["announcement"]["cue_id"] == "finale-announce"
    after = await recorded.state(1, 10**13)
    assert after["at"] == run["ends_at"]
    assert after["pinned"] == [] and after["announcement"]["cue_id"] == "goodbye"
    assert after["deals"] == [] and after["countdowns"] == []


async def test_replay_errors_are_clear(recorded: Recorded) -> None:
    """Unknown show, run never recorded, bad segment and bad `at` are 4xx with an error body."""
    client = recorded.client
    cases = [
        ("/api/shows/nope/replay/0/state?at=1", 404, "unknown_show"),
        (f"/api/shows/{SHOW}/replay/999/state?at=1", 404, "unknown_replay"),
        (f"/api/shows/{SHOW}/replay/999/timeline", 404, "unknown_replay"),
        (f"/video/{SHOW}/replay/999/index.m3u8", 404, "unknown_replay"),
        (f"/video/{SHOW}/replay/1/seg999999.ts", 404, "unknown_replay"),
        (f"/video/{SHOW}/replay/1/../../etc", 404, None),
        (f"/api/shows/{SHOW}/replay/1/state", 422, "invalid_input"),
        (f"/api/shows/{SHOW}/replay/1/state?at=-5", 422, "invalid_input"),
        (f"/api/shows/{SHOW}/replay/1/timeline?limit=0", 422, "invalid_input"),
    ]
    for url, status, code in cases:
        response = await client.get(url)
        assert response.status_code == status, (url, response.text)
        if code is not None:
            assert response.json()["error"]["code"] == code, url


async def test_a_replay_buys_at_the_regular_price_and_cannot_claim_a_deal(
    recorded: Recorded,
) -> None:
    """Once the show is paused outside a deal, an order from the replay pays the regular price
    and one naming the (ended) deal is refused."""
    client = recorded.client
    producer = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}

    async def paused_without_deal() -> bool:
        if (await recorded.get(f"/api/shows/{SHOW}"))["state"]["deals"]:
            await client.put(
                f"/api/shows/{SHOW}/timeline", json={"paused": False}, headers=producer
            )
            return False
        await client.put(f"/api/shows/{SHOW}/timeline", json={"paused": True}, headers=producer)
        return bool((await recorded.get(f"/api/shows/{SHOW}"))["state"]["deals"] == [])

    await eventually(paused_without_deal, "a pause outside any deal")
    session = (await client.post("/api/sessions", json={})).json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    product = await recorded.get("/api/catalog/products/sable-coast-leather-biker")
    sku = product["variants"][0]["sku"]
    regular = product["variants"][0]["price"] or product["price"]
    response = await client.post(
        "/api/orders",
        json={"sku": sku, "quantity": 1, "show_id": SHOW},
        headers={**auth, "Idempotency-Key": "replay-regular"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["total"] == regular
    refused = await client.post(
        "/api/orders",
        json={"sku": sku, "quantity": 1, "show_id": SHOW, "deal_id": "biker-flash"},
        headers={**auth, "Idempotency-Key": "replay-deal"},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "deal_not_active"


async def test_runs_are_listed_newest_first_and_bounded(recorded: Recorded) -> None:
    """The recorded runs come newest first, the last ``replay_runs_kept``; older ones are gone."""
    runs = list((await recorded.runs()).values())
    assert [run["run"] for run in runs] == [3, 2, 1]
    assert recorded.server.settings.replay.replay_runs_kept == 3
    assert all(run["ended"] for run in runs[1:])
    for url in (f"/api/shows/{SHOW}/replay/0/state?at=1", f"/video/{SHOW}/replay/0/index.m3u8"):
        response = await recorded.client.get(url)
        assert response.status_code == 404, url
