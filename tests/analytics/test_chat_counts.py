"""Chat messages and reactions per minute equal what was posted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from websockets.asyncio.client import connect

from tests.analytics.helpers import SHOW, analytics, total
from tests.chat.helpers import chat, new_session, send
from tests.servers import LiveServer, receive_json, receive_until


async def test_chat_and_reactions_per_minute_match_what_was_posted(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """7 messages and 11 reactions from two viewers: the series sum to exactly that."""
    server = await make_server(chat_burst=50, reactions_per_s=50)
    before = await analytics(server)
    assert total(before["chat_per_minute"]) == 0 and total(before["reactions_per_minute"]) == 0
    sessions = [await new_session(server) for _ in range(2)]
    async with (
        connect(server.ws_url(SHOW, token=sessions[0]["token"])) as first,
        connect(server.ws_url(SHOW, token=sessions[1]["token"])) as second,
    ):
        for ws in (first, second):
            await receive_json(ws)
        for index in range(7):
            reply = await chat(first if index % 2 else second, f"hello {index}")
            assert reply["type"] == "chat_ack", reply
        for index in range(11):
            await send(second if index % 3 else first, "react", kind="heart")
        # A ping after the reactions: its pong proves every reaction frame was handled.
        for ws in (first, second):
            await send(ws, "ping")
            await receive_until(ws, "pong")
    answer = await analytics(server)
    assert total(answer["chat_per_minute"]) == 7
    assert total(answer["reactions_per_minute"]) == 11
    assert len(answer["chat_per_minute"]) == 30
    minutes = [point["minute"] for point in answer["chat_per_minute"]]
    assert minutes == sorted(minutes) and all(minute % 60_000 == 0 for minute in minutes)
