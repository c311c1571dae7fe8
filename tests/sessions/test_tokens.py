"""Session and producer tokens: unforgeable from what viewers see, malformed ones refused cleanly."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from livebuy.settings import PLACEHOLDER_TOKEN
from tests.chat.helpers import SHOW, chat, chat_texts_until, new_session, next_reply, send
from tests.servers import LiveServer, receive_json

MakeServer = Callable[..., Awaitable[LiveServer]]
FAST = {"chat_batch_interval_ms": 20}


def _forge(identifier: str, secret: str) -> str:
    signature = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{identifier}.{signature}"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


async def test_chat_frames_do_not_let_an_attacker_sign_for_the_victim(
    make_server: MakeServer,
) -> None:
    """Every string a chat frame shows about its author, signed with the placeholder, gets 401."""
    server = await make_server(session_secret=PLACEHOLDER_TOKEN, **FAST)
    victim = await new_session(server, "Victim")
    async with (
        connect(server.ws_url(SHOW, token=victim["token"])) as sender,
        connect(server.ws_url(SHOW)) as attacker,
    ):
        await receive_json(sender)
        await receive_json(attacker)
        assert (await chat(sender, "hello"))["type"] == "chat_ack"
        frames = await chat_texts_until(attacker, lambda frames: bool(frames))
    author = frames[0]["data"]["messages"][0]["author"]
    assert victim["session_id"] not in _strings(frames)
    async with server.http() as client:
        own = await client.get(
            "/api/orders", headers={"Authorization": f"Bearer {victim['token']}"}
        )
        assert own.status_code == 200
        for exposed in _strings(author):
            forged = _forge(exposed, PLACEHOLDER_TOKEN)
            answer = await client.get("/api/orders", headers={"Authorization": f"Bearer {forged}"})
            assert answer.status_code == 401, (exposed, answer.text)


async def test_auth_ok_names_the_handle_not_the_session_id(make_server: MakeServer) -> None:
    """``auth_ok`` carries the public handle and display name, never the signed session id."""
    server = await make_server()
    viewer = await new_session(server, "Viewer")
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_json(ws)
        await send(ws, "auth", token=viewer["token"])
        reply = await next_reply(ws)
    assert reply["type"] == "auth_ok"
    assert reply["data"] == {"handle": viewer["handle"], "display_name": "Viewer"}


BAD_TOKENS = [
    b"Bearer \xc3\xa9.\xc3\xa9",
    b"Bearer caf\xc3\xa9.0123456789abcdef0123456789abcdef",
    b"Bearer \xff\xfe",
    b"Bearer abc",
    b"Bearer .",
    b"Bearer " + b"a" * 5000 + b".b",
]


@pytest.mark.parametrize("header", BAD_TOKENS)
async def test_malformed_session_tokens_are_401(make_server: MakeServer, header: bytes) -> None:
    """Non-ASCII, truncated or oversized bearer session tokens get a 401 JSON error, not a 500."""
    server = await make_server()
    async with server.http() as client:
        answer = await client.get("/api/orders", headers=[(b"authorization", header)])
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", BAD_TOKENS)
async def test_malformed_producer_tokens_are_refused(
    make_server: MakeServer, header: bytes
) -> None:
    """A non-ASCII or wrong producer token gets 401/403 JSON, not a 500."""
    server = await make_server()
    async with server.http() as client:
        answer = await client.post(
            "/api/staff-sessions",
            json={"display_name": "Mod"},
            headers=[(b"authorization", header)],
        )
    assert answer.status_code in (401, 403), answer.text
    assert answer.json()["error"]["code"] in ("unauthorized", "forbidden")


@pytest.mark.parametrize("token", ["%C3%A9.%C3%A9", "caf%C3%A9.0123", "%F0%9F%92%A5", "x" * 3000])
async def test_malformed_websocket_token_closes_4401(make_server: MakeServer, token: str) -> None:
    """A malformed ``?token=`` closes the socket with 4401 and a reason, not 1006/1011."""
    server = await make_server()
    async with connect(server.ws_url(SHOW, token=token)) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive_json(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    assert closed.value.rcvd.reason


async def test_malformed_auth_frame_token_is_an_error_frame(make_server: MakeServer) -> None:
    """A non-ASCII token in an ``auth`` frame gets an ``unauthorized`` error; the socket stays."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_json(ws)
        await send(ws, "auth", token="caf\u00e9.\u00e9")
        reply = await next_reply(ws)
        assert reply["type"] == "error"
        assert reply["data"]["code"] == "unauthorized"
        await send(ws, "ping", n=1)
        assert (await next_reply(ws))["type"] == "pong"


async def test_previous_secret_still_verifies_during_rotation(make_server: MakeServer) -> None:
    """After rotation old tokens keep working while the previous secret is set; new ones use the new."""
    old = await make_server(session_secret="old-secret-0123456789")
    issued_before = await new_session(old)
    rotated = await make_server(
        session_secret="new-secret-0123456789", session_secret_previous="old-secret-0123456789"
    )
    issued_after = await new_session(rotated)
    after_grace = await make_server(session_secret="new-secret-0123456789")

    async def status(server: LiveServer, token: str) -> int:
        async with server.http() as client:
            answer = await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        return answer.status_code

    assert await status(rotated, issued_before["token"]) == 200
    assert await status(rotated, issued_after["token"]) == 200
    assert await status(after_grace, issued_after["token"]) == 200
    assert await status(after_grace, issued_before["token"]) == 401
    assert await status(old, issued_after["token"]) == 401
