"""Chat end to end on one real server: post, ack, batch, validation, limits, moderation, history."""

from __future__ import annotations

import json

from websockets.asyncio.client import connect

from tests.chat.helpers import (
    PRODUCER,
    SHOW,
    MakeServer,
    chat,
    chat_texts_until,
    new_session,
    next_reply,
    send,
    staff_session,
    texts,
)
from tests.servers import receive_json, receive_until

FAST = {"chat_batch_interval_ms": 20, "reaction_interval_ms": 50}


async def test_posted_message_is_acked_and_batched_to_everyone(make_server: MakeServer) -> None:
    """The sender gets chat_ack with the stored message; every viewer gets it in a chat frame."""
    server = await make_server(**FAST)
    alice = await new_session(server, "Alice")
    async with (
        connect(server.ws_url(SHOW, token=alice["token"])) as sender,
        connect(server.ws_url(SHOW)) as watcher,
    ):
        snapshot = await receive_json(sender)
        await receive_json(watcher)
        ack = await chat(sender, "  Love the Cafe\u0301 look!  ")
        frames = await chat_texts_until(watcher, lambda frames: bool(frames))
    assert ack["type"] == "chat_ack"
    message = ack["data"]
    assert message["text"] == "Love the Caf\u00e9 look!"
    assert message["author"] == {
        "handle": alice["handle"],
        "display_name": "Alice",
        "role": "viewer",
    }
    assert frames[0]["seq"] > snapshot["seq"]
    assert frames[0]["data"] == {"messages": [message], "count": 1, "sampled": False}


async def test_bad_chat_input_gets_error_frames_and_chat_goes_on(make_server: MakeServer) -> None:
    """Empty, too long, control characters, wrong types, unknown kinds: clear errors, no effect."""
    server = await make_server(**FAST)
    viewer = await new_session(server)
    async with connect(server.ws_url(SHOW, token=viewer["token"])) as ws:
        await receive_json(ws)
        cases = [
            ({"type": "chat", "data": {"text": "   "}}, "invalid_text"),
            ({"type": "chat", "data": {"text": "x" * 301}}, "invalid_text"),
            ({"type": "chat", "data": {"text": "bell\u0007"}}, "invalid_text"),
            ({"type": "chat", "data": {"text": "line\nbreak"}}, "invalid_text"),
            ({"type": "chat", "data": {"text": "\u202eevil"}}, "invalid_text"),
            ({"type": "chat", "data": {"text": 5}}, "malformed_frame"),
            ({"type": "chat", "data": {}}, "malformed_frame"),
            ({"type": "react", "data": {"kind": "thumbs-down"}}, "unknown_reaction"),
            ({"type": "react", "data": {"kind": ["heart"]}}, "malformed_frame"),
            ({"type": "shout", "data": {}}, "malformed_frame"),
        ]
        for frame, code in cases:
            await ws.send(json.dumps(frame))
            reply = await next_reply(ws)
            assert reply["type"] == "error", frame
            assert reply["data"]["code"] == code, (frame, reply)
            assert reply["data"]["message"]
        ok = await chat(ws, "still here \U0001f44b\u200d")
        assert ok["type"] == "chat_ack"
        frames = await chat_texts_until(ws, lambda frames: bool(frames))
    assert texts(frames) == ["still here \U0001f44b\u200d"]


async def test_chat_needs_a_session_watching_does_not(make_server: MakeServer) -> None:
    """Without a session chat is refused (unauthorized frame); an auth frame then enables it."""
    server = await make_server(**FAST)
    viewer = await new_session(server, "Late")
    async with connect(server.ws_url(SHOW)) as ws:
        assert (await receive_json(ws))["type"] == "snapshot"
        refused = await chat(ws, "hello?")
        await send(ws, "react", kind="heart")
        refused_reaction = await next_reply(ws)
        await send(ws, "auth", token="nobody.bad")
        bad_auth = await next_reply(ws)
        await send(ws, "auth", token=viewer["token"])
        authed = await next_reply(ws)
        accepted = await chat(ws, "hello!")
    assert refused["data"]["code"] == refused_reaction["data"]["code"] == "unauthorized"
    assert bad_auth["data"]["code"] == "unauthorized"
    assert authed["type"] == "auth_ok" and authed["data"]["display_name"] == "Late"
    assert accepted["type"] == "chat_ack"


async def test_token_bucket_refuses_with_retry_after(make_server: MakeServer) -> None:
    """Burst 3: the 4th message is refused with retry_after_ms and never published."""
    server = await make_server(**FAST)
    viewer = await new_session(server)
    async with connect(server.ws_url(SHOW, token=viewer["token"])) as ws:
        await receive_json(ws)
        replies = [await chat(ws, f"m{index}") for index in range(4)]
        staff = await staff_session(server, "Host")
        async with connect(server.ws_url(SHOW, token=staff["token"])) as host:
            await receive_json(host)
            assert (await chat(host, "marker"))["type"] == "chat_ack"
        frames = await chat_texts_until(ws, lambda frames: "marker" in texts(frames))
    assert [reply["type"] for reply in replies] == ["chat_ack"] * 3 + ["error"]
    error = replies[3]["data"]
    assert error["code"] == "rate_limited"
    assert 0 < error["retry_after_ms"] <= 2000
    assert texts(frames) == ["m0", "m1", "m2", "marker"]


async def test_slow_mode_limits_viewers_not_staff(make_server: MakeServer) -> None:
    """In slow mode a viewer's second message waits; the host posts freely; viewers get chat_mode."""
    server = await make_server(**FAST)
    viewer = await new_session(server)
    host = await staff_session(server, "Host")
    async with (
        connect(server.ws_url(SHOW, token=viewer["token"])) as ws,
        connect(server.ws_url(SHOW, token=host["token"])) as host_ws,
    ):
        await receive_json(ws)
        await receive_json(host_ws)
        async with server.http() as client:
            response = await client.put(
                f"/api/shows/{SHOW}/chat/slow-mode", json={"interval_ms": 60_000}, headers=PRODUCER
            )
        assert response.status_code == 200, response.text
        mode = await receive_until(ws, "chat_mode")
        first = await chat(ws, "one")
        second = await chat(ws, "two")
        host_replies = [await chat(host_ws, f"host {index}") for index in range(3)]
    assert mode["data"]["slow_mode_ms"] == 60_000
    assert first["type"] == "chat_ack"
    assert second["data"]["code"] == "slow_mode"
    assert 0 < second["data"]["retry_after_ms"] <= 60_000
    assert [reply["type"] for reply in host_replies] == ["chat_ack"] * 3


async def test_mute_delete_pin_blocked_words_and_log(make_server: MakeServer) -> None:
    """Producer moderation: masked words, pin, delete (to all, gone from history), mute; logged."""
    server = await make_server(**FAST, chat_blocked_words=["spoiler"])
    troll = await new_session(server, "Troll")
    async with connect(server.ws_url(SHOW, token=troll["token"])) as ws:
        await receive_json(ws)
        async with server.http() as client:
            words = await client.put(
                f"/api/shows/{SHOW}/chat/blocked-words",
                json={"words": ["Scam"]},
                headers={**PRODUCER, "X-Moderator": "mia"},
            )
            assert words.status_code == 200 and words.json()["words"] == ["scam"]
            masked = await chat(ws, "SCAM alert, Spoiler: scammer")
            keep = await chat(ws, "nice dress")
            assert masked["data"]["text"] == "**** alert, *******: scammer"
            await chat_texts_until(ws, lambda frames: "nice dress" in texts(frames))
            message_id = masked["data"]["id"]
            pinned = await client.put(
                f"/api/shows/{SHOW}/chat/pin",
                json={"message_id": keep["data"]["id"]},
                headers=PRODUCER,
            )
            deleted = await client.delete(
                f"/api/shows/{SHOW}/chat/messages/{message_id}",
                headers={**PRODUCER, "X-Moderator": "mia"},
            )
            again = await client.delete(
                f"/api/shows/{SHOW}/chat/messages/{message_id}", headers=PRODUCER
            )
            muted = await client.post(
                f"/api/shows/{SHOW}/chat/mutes",
                json={"handle": troll["handle"], "duration_ms": 60_000},
                headers={**PRODUCER, "X-Moderator": "mia"},
            )
            unauthorised = await client.post(
                f"/api/shows/{SHOW}/chat/mutes",
                json={"handle": troll["handle"], "duration_ms": 60_000},
            )
            log = await client.get(f"/api/shows/{SHOW}/chat/moderation-log", headers=PRODUCER)
        pin_frame = await receive_until(ws, "chat_pin")
        delete_frame = await receive_until(ws, "chat_delete")
        refused = await chat(ws, "let me talk")
    assert pinned.status_code == 200 and pin_frame["data"]["message"] == keep["data"]
    assert deleted.status_code == 200 and delete_frame["seq"] == deleted.json()["seq"]
    assert delete_frame["data"] == {"id": message_id, "by": "mia"}
    assert again.status_code == 404 and again.json()["error"]["code"] == "unknown_message"
    assert muted.status_code == 204 and unauthorised.status_code == 401
    assert refused["data"]["code"] == "muted" and refused["data"]["retry_after_ms"] > 0
    actions = [(entry["action"], entry["by"]) for entry in log.json()]
    assert actions == [
        ("mute", "mia"),
        ("delete", "mia"),
        ("pin", "producer"),
        ("blocked_words", "mia"),
    ]
    async with connect(server.ws_url(SHOW)) as late:
        snapshot = await receive_json(late)
    assert snapshot["data"]["chat"]["messages"] == [keep["data"]]
    assert snapshot["data"]["chat"]["pinned"] == keep["data"]


async def test_snapshot_holds_the_last_50_messages(make_server: MakeServer) -> None:
    """A late joiner's snapshot has the last 50 messages, oldest first."""
    server = await make_server(**FAST, chat_burst=100)
    viewer = await new_session(server)
    async with connect(server.ws_url(SHOW, token=viewer["token"])) as ws:
        await receive_json(ws)
        for index in range(55):
            assert (await chat(ws, f"n{index}"))["type"] == "chat_ack"
    async with connect(server.ws_url(SHOW)) as late:
        snapshot = await receive_json(late)
    history = snapshot["data"]["chat"]["messages"]
    assert [message["text"] for message in history] == [f"n{index}" for index in range(5, 55)]


async def test_bad_moderation_requests(make_server: MakeServer) -> None:
    """Moderation input is validated (422), unknown shows 404, wrong token 403."""
    server = await make_server(**FAST)
    async with server.http() as client:
        bad_duration = await client.post(
            f"/api/shows/{SHOW}/chat/bans",
            json={"handle": "x", "duration_ms": -5},
            headers=PRODUCER,
        )
        unknown_show = await client.put(
            "/api/shows/ghost/chat/slow-mode", json={"interval_ms": 5}, headers=PRODUCER
        )
        wrong_token = await client.put(
            f"/api/shows/{SHOW}/chat/slow-mode",
            json={"interval_ms": 5},
            headers={"Authorization": "Bearer nope"},
        )
        bad_pin = await client.put(
            f"/api/shows/{SHOW}/chat/pin", json={"message_id": "1-1"}, headers=PRODUCER
        )
    assert bad_duration.status_code == 422
    assert unknown_show.status_code == 404
    assert wrong_token.status_code == 403
    assert bad_pin.status_code == 404 and bad_pin.json()["error"]["code"] == "unknown_message"
