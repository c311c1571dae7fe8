"""Client frames: whatever a viewer sends gets a valid frame back or a documented close."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.servers import LiveServer, receive_json

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]
# Frame types a viewer's connection may be sent in reply to its own frames.
REPLY_TYPES = {"pong", "error", "auth_ok", "chat_ack"}
# Close codes docs/protocol.md lists for a client's own frames (1009: over 4 KiB).
CLIENT_CLOSE_CODES = {1009}
_servers: dict[int, LiveServer] = {}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
client_texts = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["ping", "auth", "chat", "react", "other"]), "data": json_values}
    ).map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.just("ping"), "data": st.dictionaries(st.text(), json_values)}
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
)


def _assert_valid_frame(frame: dict[str, Any]) -> None:
    assert set(frame) == {"type", "seq", "at", "ts", "data"}
    assert frame["type"] in REPLY_TYPES
    assert isinstance(frame["seq"], int) and isinstance(frame["data"], dict)
    if frame["type"] == "error":
        assert isinstance(frame["data"]["code"], str) and frame["data"]["message"]


async def test_ping_with_integer_wider_than_64_bits_gets_error_and_stays_open(
    make_server: MakeServer,
) -> None:
    """A ping whose data cannot be echoed (a 100-bit integer) gets an error frame, not a 1006."""
    server = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_json(ws)
        await ws.send('{"type":"ping","data":{"n": 123456789012345678901234567890}}')
        error = await receive_json(ws)
        await ws.send('{"type":"ping","data":{"n": 18446744073709551615}}')
        pong = await receive_json(ws)
    assert error["type"] == "error" and error["data"]["code"] == "malformed_frame"
    assert "64 bits" in error["data"]["message"]
    assert pong["type"] == "pong" and pong["data"] == {"n": 18446744073709551615}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=client_texts)
async def test_any_client_frame_gets_a_valid_reply_or_a_documented_close(
    make_server: MakeServer, text: str
) -> None:
    """Every client text frame is answered with a valid frame (or none for an accepted
    reaction), or closes with a documented code; the connection then still answers a ping."""
    # One server for every example: hypothesis runs them all within this one test's fixtures.
    server = _servers.get(id(make_server))
    if server is None:
        server = _servers[id(make_server)] = await make_server()
    async with connect(server.ws_url(SHOW)) as ws:
        await receive_json(ws)
        try:
            await ws.send(text)
            await ws.send('{"type":"ping","data":{"probe":true}}')
            while True:
                frame = await receive_json(ws)
                _assert_valid_frame(frame)
                if frame["type"] == "pong" and frame["data"] == {"probe": True}:
                    break
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code in CLIENT_CLOSE_CODES
