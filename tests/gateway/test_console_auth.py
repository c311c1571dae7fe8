"""``role=console`` sockets need the producer token in their first frame."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.servers import PRODUCER_TOKEN, LiveServer, receive_json

MakeServer = Callable[..., Awaitable[LiveServer]]
SHOW = "spring-runway"


def _auth(token: str) -> str:
    return json.dumps({"type": "auth", "data": {"token": token}})


async def test_console_with_the_producer_token_gets_the_snapshot(make_server: MakeServer) -> None:
    """An ``auth`` frame with the producer token first: the console gets the snapshot."""
    server = await make_server()
    async with connect(server.ws_url(SHOW, role="console")) as ws:
        await ws.send(_auth(PRODUCER_TOKEN))
        assert (await receive_json(ws))["type"] == "snapshot"


@pytest.mark.parametrize(
    ("first", "code"),
    [
        (None, 4401),
        (json.dumps({"type": "ping", "data": {}}), 4401),
        ("{not json", 4401),
        (_auth("not-the-producer-token"), 1008),
        (_auth("caf\u00e9-\U0001f4a5"), 1008),
    ],
)
async def test_console_without_the_producer_token_is_closed(
    make_server: MakeServer, first: str | None, code: int
) -> None:
    """No auth frame in time, another frame first: 4401; a wrong producer token: 1008."""
    server = await make_server(console_auth_timeout_s=0.5)
    async with connect(server.ws_url(SHOW, role="console")) as ws:
        if first is not None:
            await ws.send(first)
        with pytest.raises(ConnectionClosed) as closed:
            frame = await receive_json(ws)
            pytest.fail(f"a console without the producer token got {frame['type']}")
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == code
    assert closed.value.rcvd.reason


async def test_viewers_need_no_token(make_server: MakeServer) -> None:
    """The default role (viewer) still gets the snapshot at once, without any frame."""
    server = await make_server(console_auth_timeout_s=0.5)
    async with connect(server.ws_url(SHOW)) as ws:
        assert (await receive_json(ws))["type"] == "snapshot"
