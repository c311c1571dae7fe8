"""Several gateway processes on one Redis: shared delivery, one player, history across restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from websockets.asyncio.client import connect

from tests.servers import TIMEOUT_S, LiveServer, receive_json, start_together

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]

SHORT_SHEET = """\
id: quick
title: Quick rehearsal
length: 1500
cues:
  - {id: open, at: 100, kind: announce, text: open}
  - {id: pin, at: 300, kind: pin, product_id: lunaire-aviator}
  - {id: deal, at: 500, kind: countdown, countdown_id: cd, label: go, duration_ms: 1000}
  - {id: close, at: 700, kind: unpin}
"""


async def test_two_processes_deliver_the_same_cue(make_server: MakeServer) -> None:
    """A cue published through process A reaches viewers of A and of B with the same seq."""
    first, second = await start_together(make_server, 2, process=True)
    async with connect(first.ws_url(SHOW)) as on_a, connect(second.ws_url(SHOW)) as on_b:
        await receive_json(on_a)
        await receive_json(on_b)
        published = await first.post_cue(
            SHOW, {"kind": "pin", "product_id": "oro-fino-signet-ring"}
        )
        frame_a = await receive_json(on_a)
        frame_b = await receive_json(on_b)
    assert frame_a == {**frame_b, "ts": frame_a["ts"]}
    assert frame_a["seq"] == published["seq"]


async def test_run_sheet_plays_once_with_two_players(
    make_server: MakeServer, tmp_path: Path
) -> None:
    """Two processes both run the player; the lease and dedupe publish every cue exactly once."""
    (tmp_path / "quick.yaml").write_text(SHORT_SHEET)
    options = {
        "play_shows": True,
        "shows_dir": str(tmp_path),
        "demo_start_delay_ms": 2000,
        "loop_demo": False,
    }
    first, second = await start_together(make_server, 2, process=True, **options)
    async with second.http() as client:
        starts_at = (await client.get("/api/shows/quick")).json()["show"]["starts_at_ms"]
    # Resume from the very beginning: the whole history, whenever the servers got up.
    async with connect(first.ws_url("quick", since=0)) as ws:
        frames = [await receive_json(ws) for _ in range(4)]
        # Nothing else arrives: no cue was published twice.
        extra = None
        try:
            extra = await asyncio.wait_for(ws.recv(), 1.0)
        except TimeoutError:
            pass
    assert extra is None
    assert [f["data"]["cue_id"] for f in frames] == ["open", "pin", "deal", "close"]
    assert [f["at"] - starts_at for f in frames] == [100, 300, 500, 700]
    assert [f["seq"] for f in frames] == [1, 2, 3, 4]
    assert all(f["ts"] >= f["at"] for f in frames)
    async with second.http() as client:
        detail = (await client.get("/api/shows/quick")).json()
    assert detail["latest_seq"] == frames[-1]["seq"]


async def test_history_survives_a_gateway_restart(make_server: MakeServer) -> None:
    """Frames live in Redis: a viewer resumes on a new process after the old one is gone."""
    first = await make_server(process=True)
    async with connect(first.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
    await first.post_cue(SHOW, {"kind": "announce", "text": "while you were away"})
    await first.post_cue(SHOW, {"kind": "announce", "text": "and this"})
    second = await make_server(process=True)
    url = second.ws_url(SHOW, since=snapshot["seq"], epoch=snapshot["data"]["epoch"])
    async with asyncio.timeout(TIMEOUT_S), connect(url) as ws:
        frames = [await receive_json(ws) for _ in range(2)]
    assert [f["data"]["text"] for f in frames] == ["while you were away", "and this"]
