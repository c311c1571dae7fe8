"""The AsyncAPI document: generated from the models, served by the app, and kept by the server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import yaml
from websockets.asyncio.client import ClientConnection, connect

from livebuy.gateway.asyncapi import server_message_types, to_yaml
from tests.chat.helpers import SHOW, MakeServer, new_session
from tests.frame_contract import DOCUMENT, FrameContractError, check_frame
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, receive_json, receive_until

# The demo's ten minutes in three seconds; the games close (and send their results) anyway.
SPEED = 200
LAST_CUE = "goodbye"


def test_committed_document_is_the_generated_one() -> None:
    """docs/asyncapi.yaml is exactly what the models generate (regenerate it when they change)."""
    assert DOCUMENT.read_text(encoding="utf-8") == to_yaml(), (
        "docs/asyncapi.yaml is stale: python -m livebuy.gateway.asyncapi > docs/asyncapi.yaml"
    )


def test_document_has_a_message_for_every_frame_type() -> None:
    """Every server frame type and every client frame is a message of the show channel."""
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    channel = document["channels"]["show"]
    names = {document["components"]["messages"][name]["name"] for name in channel["messages"]}
    assert server_message_types() | {"ping", "auth", "chat", "react", "card_seen"} <= names
    assert set(channel["x-close-codes"]) == {"1000", "1008", "1009", "1011", "1012", "4401"} | {
        "4404",
        "4429",
    }


def test_a_frame_off_the_contract_is_named() -> None:
    """A frame its schema refuses fails with its type, kind, seq and the offending field."""
    cue = {"type": "cue", "seq": 7, "at": 1, "ts": 1, "data": {"kind": "pin", "cue_id": "a"}}
    with pytest.raises(FrameContractError, match=r"'cue' kind 'pin' frame seq 7 .*product"):
        check_frame(cue)
    with pytest.raises(FrameContractError, match="unknown type 'gossip'"):
        check_frame({"type": "gossip", "seq": 1, "at": 1, "ts": 1, "data": {}})


async def _game_moves(client: httpx.AsyncClient, frame: dict[str, Any], token: str) -> None:
    """Take part in the demo's games as they open, so their frames come too."""
    data = frame["data"]
    auth = {"Authorization": f"Bearer {token}"}
    base = f"/api/shows/{SHOW}"
    if frame["type"] != "cue":
        return
    if data["kind"] == "poll":
        await client.post(f"{base}/polls/{data['poll_id']}/votes", json={"option": 0}, headers=auth)
    elif data["kind"] == "quiz":
        body = {"option": 0, "program_ms": frame["at"]}
        await client.post(f"{base}/polls/{data['poll_id']}/votes", json=body, headers=auth)
    elif data["kind"] == "giveaway":
        await client.post(f"{base}/giveaways/{data['giveaway_id']}/entries", headers=auth)
    elif data["kind"] == "red_packets":
        await client.post(f"{base}/red-packets/{data['rain_id']}/grab", headers=auth)


async def _play(viewer: ClientConnection, client: httpx.AsyncClient, token: str) -> set[str]:
    """Read (and so check) every frame until the demo's last cue and the rain's final count
    (which may come after it); the types seen."""
    seen: set[str] = set()
    last_cue = rain_over = False
    async with asyncio.timeout(TIMEOUT_S * 3):
        while not (last_cue and rain_over):
            frame = await receive_json(viewer)
            seen.add(frame["type"])
            await _game_moves(client, frame, token)
            last_cue |= frame["type"] == "cue" and frame["data"]["cue_id"] == LAST_CUE
            rain_over |= frame["type"] == "red_packets_update" and frame["data"]["final"]
    return seen


async def test_every_frame_of_the_demo_show_keeps_the_contract(make_server: MakeServer) -> None:
    """The demo show played through (with chat, reactions, votes, a giveaway entry, a red
    packet, a console, a resume and a lost resume): every frame validates against its message.
    The same server publishes the document and its offline HTML page."""
    server = await make_server(play_shows=True, speed=SPEED, loop_demo=False)
    async with server.http() as client:
        published = await client.get("/asyncapi.yaml")
        page = await client.get("/docs/asyncapi")
    assert published.status_code == 200 and published.text == DOCUMENT.read_text(encoding="utf-8")
    assert page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text and "//cdn" not in page.text
    for name in server_message_types():
        assert f'id="message-{name}"' in page.text
    assert 'href="#schema-SnapshotData"' in page.text and "4429" in page.text
    session = await new_session(server, "Contract")
    async with (
        server.http() as client,
        # Unbounded client queues: frames left unread must not keep the close handshake waiting.
        connect(server.ws_url(SHOW, token=session["token"]), max_queue=None) as viewer,
        connect(server.ws_url(SHOW, role="console"), max_queue=None) as console,
    ):
        await console.send(json.dumps({"type": "auth", "data": {"token": PRODUCER_TOKEN}}))
        assert (await receive_json(console))["type"] == "snapshot"
        assert (await receive_json(viewer))["type"] == "snapshot"
        for frame in (
            {"type": "ping", "data": {"t": 1, "big": 2**63}},
            {"type": "auth", "data": {"token": session["token"]}},
            {"type": "chat", "data": {"text": "hello contract"}},
            {"type": "react", "data": {"kind": "heart"}},
            {"type": "react", "data": {"kind": "nope"}},
            {"type": "card_seen", "data": {"cue_id": "no-such-cue"}},
            {"type": "gossip"},
        ):
            await viewer.send(json.dumps(frame))
        seen = await _play(viewer, client, session["token"])
        console_seen = {(await receive_until(console, "cue"))["type"]}
    control = {"pong", "auth_ok", "chat_ack", "error"}
    assert control | {"cue", "chat", "reactions", "poll_results", "red_packets_update"} <= seen
    assert console_seen == {"cue"}
    # Resume: the history's frames, then a resume that cannot be served (a snapshot, recovered).
    async with connect(server.ws_url(SHOW, since=1, epoch="gone")) as lost:
        snapshot = await receive_json(lost)
    assert snapshot["type"] == "snapshot" and snapshot["data"]["recovered"] is False
    resume = server.ws_url(SHOW, since=1, epoch=snapshot["data"]["epoch"])
    async with connect(resume, max_queue=None) as resumed:
        replayed = await receive_json(resumed)
        assert replayed["seq"] == 2
        while replayed["seq"] < snapshot["seq"]:
            replayed = await receive_json(resumed)
