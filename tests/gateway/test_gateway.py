"""End-to-end push gateway: real uvicorn servers, real Redis, the websockets client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from livebuy.events.models import AnnounceEvent
from livebuy.events.stream import ShowStream
from tests.servers import TIMEOUT_S, LiveServer, receive_json

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]


def announce(text: str) -> dict[str, Any]:
    return {"kind": "announce", "text": text}


async def test_first_frame_is_snapshot_with_show_and_seq(make_server: MakeServer) -> None:
    """A new viewer's first frame is a snapshot naming the show, its epoch and latest seq."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        frame = await receive_json(ws)
    assert frame["type"] == "snapshot"
    assert set(frame) == {"type", "seq", "at", "ts", "data"}
    assert frame["data"]["show"]["id"] == SHOW
    assert frame["data"]["latest_seq"] == frame["seq"] == 0
    assert frame["data"]["epoch"]
    assert frame["data"]["pinned"] == []


async def test_live_cue_reaches_viewer_with_product_card(make_server: MakeServer) -> None:
    """A producer's pin reaches a connected viewer as the next seq, with the full product card."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
        published = await server.post_cue(SHOW, {"kind": "pin", "product_id": "lunaire-aviator"})
        frame = await receive_json(ws)
    assert frame["type"] == "cue"
    assert frame["seq"] == snapshot["seq"] + 1 == published["seq"]
    assert frame["at"] == published["at"]
    assert frame["ts"] >= frame["at"]
    assert frame["data"]["kind"] == "pin"
    product = frame["data"]["product"]
    assert product["id"] == "lunaire-aviator"
    assert product["images"] and product["variants"] and product["stock"]


async def test_late_joiner_gets_current_state_at_once(make_server: MakeServer) -> None:
    """A viewer joining mid-show sees the pinned product, deal and countdown in its snapshot."""
    server = await make_server()
    await server.post_cue(SHOW, {"kind": "pin", "product_id": "sable-coast-leather-biker"})
    await server.post_cue(SHOW, {"kind": "pin", "product_id": "lunaire-aviator"})
    await server.post_cue(SHOW, {"kind": "unpin", "product_id": "lunaire-aviator"})
    await server.post_cue(
        SHOW,
        {
            "kind": "deal_start",
            "deal_id": "biker-flash",
            "product_id": "sable-coast-leather-biker",
            "deal_price": {"amount": 19900, "currency": "EUR"},
            "units": 8,
        },
    )
    await server.post_cue(
        SHOW, {"kind": "countdown", "countdown_id": "c1", "label": "soon", "duration_ms": 60_000}
    )
    last = await server.post_cue(SHOW, announce("hello"))
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
    data = snapshot["data"]
    assert snapshot["seq"] == last["seq"]
    assert [pin["product"]["id"] for pin in data["pinned"]] == ["sable-coast-leather-biker"]
    assert [deal["deal_id"] for deal in data["deals"]] == ["biker-flash"]
    assert [countdown["countdown_id"] for countdown in data["countdowns"]] == ["c1"]
    assert data["announcement"]["text"] == "hello"


async def test_cues_arrive_in_order_with_consecutive_seq(make_server: MakeServer) -> None:
    """Every viewer gets every cue once, in publication order, with seq increasing by one."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as first, connect(server.ws_url(SHOW)) as second:
        start = (await receive_json(first))["seq"]
        await receive_json(second)
        for index in range(20):
            await server.post_cue(SHOW, announce(f"message {index}"))
        for ws in (first, second):
            frames = [await receive_json(ws) for _ in range(20)]
            assert [frame["seq"] for frame in frames] == list(range(start + 1, start + 21))
            assert [frame["data"]["text"] for frame in frames] == [
                f"message {i}" for i in range(20)
            ]


async def test_resume_with_since_has_no_gap_and_no_duplicate(make_server: MakeServer) -> None:
    """A viewer reconnecting with since gets exactly the missed frames, then live ones."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
        await server.post_cue(SHOW, announce("seen 1"))
        await server.post_cue(SHOW, announce("seen 2"))
        seen = [await receive_json(ws) for _ in range(2)]
    last_seen = seen[-1]["seq"]
    for index in range(5):
        await server.post_cue(SHOW, announce(f"missed {index}"))
    url = server.ws_url(SHOW, since=last_seen, epoch=snapshot["data"]["epoch"])
    async with connect(url) as ws:
        missed = [await receive_json(ws) for _ in range(5)]
        await server.post_cue(SHOW, announce("live"))
        live = await receive_json(ws)
    assert [frame["seq"] for frame in missed] == list(range(last_seen + 1, last_seen + 6))
    assert [frame["data"]["text"] for frame in missed] == [f"missed {i}" for i in range(5)]
    assert live["seq"] == last_seen + 6 and live["data"]["text"] == "live"


async def test_resume_after_history_is_trimmed_gets_unrecovered_snapshot(
    make_server: MakeServer, redis: Redis
) -> None:
    """When the frames after since are no longer kept, the viewer gets snapshot recovered=false."""
    server = await make_server(stream_maxlen=100)
    stream = ShowStream(redis, maxlen=100)
    for index in range(400):
        await stream.append(
            SHOW, index, AnnounceEvent(cue_id="c", kind="announce", text=str(index))
        )
    async with connect(server.ws_url(SHOW, since=1)) as ws:
        frame = await receive_json(ws)
    assert frame["type"] == "snapshot"
    assert frame["data"]["recovered"] is False
    assert frame["seq"] == 400


async def test_resume_across_epoch_change_gets_unrecovered_snapshot(
    make_server: MakeServer,
) -> None:
    """A since from another history epoch (Redis lost its data) is not trusted."""
    server = await make_server()
    await server.post_cue(SHOW, announce("one"))
    async with connect(server.ws_url(SHOW, since=0, epoch="not-this-one")) as ws:
        frame = await receive_json(ws)
    assert frame["type"] == "snapshot" and frame["data"]["recovered"] is False


async def test_unknown_show_closes_4404(make_server: MakeServer) -> None:
    """Connecting to a show that does not exist closes with 4404 and a reason."""
    server = await make_server()
    async with connect(server.ws_url("no-such-show")) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive_json(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404
    assert "no-such-show" in closed.value.rcvd.reason


async def test_unknown_role_closes_1008(make_server: MakeServer) -> None:
    """``role`` is ``viewer`` or ``console``; anything else is refused with a reason."""
    server = await make_server()
    async with connect(server.ws_url(SHOW, role="admin")) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive_json(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "role" in closed.value.rcvd.reason


async def test_malformed_frame_gets_error_and_connection_stays(make_server: MakeServer) -> None:
    """Bad JSON and unknown frame types get error frames; the viewer keeps receiving."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_json(ws)
        await ws.send("{not json")
        error = await receive_json(ws)
        await ws.send('{"type": "launch_rockets", "data": {}}')
        unknown = await receive_json(ws)
        await ws.send(b"\x00\x01")
        binary = await receive_json(ws)
        await ws.send('{"type": "ping", "data": {"n": 1}}')
        pong = await receive_json(ws)
        await server.post_cue(SHOW, announce("still here"))
        cue = await receive_json(ws)
    assert error["type"] == "error" and error["data"]["code"] == "malformed_frame"
    assert unknown["type"] == "error" and "type" in unknown["data"]["message"]
    assert binary["type"] == "error" and binary["data"]["code"] == "binary_frame"
    assert pong["type"] == "pong" and pong["data"] == {"n": 1}
    assert cue["data"]["text"] == "still here"


async def test_oversized_frame_closes_1009(make_server: MakeServer) -> None:
    """A client frame over 4 KiB closes the connection with 1009."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_json(ws)
        await ws.send('{"type": "ping", "data": {"pad": "' + "x" * 5000 + '"}}')
        with pytest.raises(ConnectionClosed) as closed:
            await receive_json(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_foreign_origin_is_refused(make_server: MakeServer) -> None:
    """A browser page from an origin not on the allow-list cannot open the socket."""
    server = await make_server()
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.ws_url(SHOW), origin="http://evil.example"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    async with connect(server.ws_url(SHOW), origin="http://127.0.0.1:8000") as ws:  # type: ignore[arg-type]
        assert (await receive_json(ws))["type"] == "snapshot"


async def test_slow_viewer_is_closed_4429_and_never_delays_others(
    make_server: MakeServer, redis: Redis
) -> None:
    """A viewer that stops reading overflows its queue and is closed: 4429, or a reset if it read
    nothing for ``ws_slow_close_s`` after its close frame was queued; a reading viewer gets all."""
    await check_slow_viewer(make_server, redis, ends=(ConnectionResetError,))


async def check_slow_viewer(
    make_server: MakeServer, redis: Redis, ends: tuple[type[Exception], ...]
) -> None:
    """A slow viewer is closed (4429, or its connection ended by one of ``ends``) and a reading
    viewer of the same show gets every frame."""
    server = await make_server(send_queue_bytes=1024 * 1024)
    stream = ShowStream(redis, maxlen=10_000)
    big = "x" * 60_000
    count = 300
    # The slow client's own buffer holds one message, so it stops reading from the socket.
    async with (
        connect(server.ws_url(SHOW), max_queue=1) as slow,
        connect(server.ws_url(SHOW)) as fast,
    ):
        await receive_json(slow)
        start = (await receive_json(fast))["seq"]

        async def read_fast() -> list[int]:
            return [(await receive_json(fast))["seq"] for _ in range(count)]

        reading = asyncio.create_task(read_fast())
        for index in range(count):
            await stream.append(SHOW, index, AnnounceEvent(cue_id="c", kind="announce", text=big))
        async with asyncio.timeout(TIMEOUT_S * 3):
            seqs = await reading
        assert seqs == list(range(start + 1, start + count + 1))
        received = 0
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(TIMEOUT_S * 3):
                while True:
                    await slow.recv()
                    received += 1
    if closed.value.rcvd is None:
        assert isinstance(closed.value.__cause__, ends), repr(closed.value.__cause__)
    else:
        assert closed.value.rcvd.code == 4429
    assert received < count
