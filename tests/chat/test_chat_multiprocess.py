"""Chat and reactions across two gateway processes on one Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import connect

from tests.chat.helpers import (
    SHOW,
    MakeServer,
    chat,
    chat_texts_until,
    new_session,
    send,
    staff_session,
    texts,
)
from tests.servers import TIMEOUT_S, receive_json, receive_until, start_together

FAST = {"chat_batch_interval_ms": 20, "reaction_interval_ms": 50}


async def test_message_posted_on_a_reaches_b_and_limit_is_shared(make_server: MakeServer) -> None:
    """A message posted on process A reaches a viewer on B; one bucket spans both processes."""
    first, second = await start_together(make_server, 2, process=True, **FAST)
    viewer = await new_session(first, "Roamer")
    async with (
        connect(first.ws_url(SHOW, token=viewer["token"])) as on_a,
        connect(second.ws_url(SHOW, token=viewer["token"])) as also_on_b,
        connect(second.ws_url(SHOW)) as watcher_b,
    ):
        for ws in (on_a, also_on_b, watcher_b):
            await receive_json(ws)
        replies = [await chat(on_a, "from A 1"), await chat(on_a, "from A 2")]
        replies += [await chat(also_on_b, "from B 3"), await chat(also_on_b, "from B 4")]
        frames = await chat_texts_until(watcher_b, lambda frames: len(texts(frames)) >= 3)
    assert [reply["type"] for reply in replies] == ["chat_ack"] * 3 + ["error"]
    assert replies[3]["data"]["code"] == "rate_limited"
    assert texts(frames) == ["from A 1", "from A 2", "from B 3"]
    assert all(frame["data"]["sampled"] is False for frame in frames)


async def test_reactions_from_many_clients_are_counted_exactly(make_server: MakeServer) -> None:
    """N reactions from M clients on two processes: interval counts and totals both sum to N."""
    first, second = await start_together(make_server, 2, process=True, **FAST)
    sessions = [await new_session(first) for _ in range(6)]
    sent: dict[str, int] = {"heart": 0, "fire": 0}
    async with connect(second.ws_url(SHOW)) as watcher:
        await receive_json(watcher)
        clients = [
            await connect((first if index % 2 else second).ws_url(SHOW, token=session["token"]))
            for index, session in enumerate(sessions)
        ]
        try:
            for client in clients:
                await receive_json(client)
            for index, client in enumerate(clients):
                for round_ in range(5):
                    kind = "heart" if (index + round_) % 3 else "fire"
                    await send(client, "react", kind=kind)
                    sent[kind] += 1
            # A ping after the reactions: its pong proves every reaction frame was handled.
            for client in clients:
                await send(client, "ping")
                await receive_until(client, "pong")
        finally:
            for client in clients:
                await client.close()
        counted: dict[str, int] = {}
        last: dict[str, Any] = {}
        async with asyncio.timeout(TIMEOUT_S):
            while sum(counted.values()) < sum(sent.values()):
                frame = await receive_json(watcher)
                if frame["type"] == "reactions":
                    for kind, count in frame["data"]["counts"].items():
                        counted[kind] = counted.get(kind, 0) + count
                    last = frame["data"]
    assert counted == sent
    assert last["totals"] == sent


async def test_flood_is_sampled_but_staff_always_shown(make_server: MakeServer) -> None:
    """A flood beyond the readable rate: frames carry a sample plus the count; host never dropped."""
    options = {**FAST, "chat_readable_per_s": 5, "chat_burst": 1000}
    first, second = await start_together(make_server, 2, process=True, **options)
    viewers = [await new_session(first) for _ in range(4)]
    host = await staff_session(first, "Host")
    flood = 120
    async with connect(second.ws_url(SHOW)) as watcher:
        await receive_json(watcher)
        clients = [
            await connect((first if index % 2 else second).ws_url(SHOW, token=viewer["token"]))
            for index, viewer in enumerate(viewers)
        ]
        host_ws = await connect(first.ws_url(SHOW, token=host["token"]))
        try:
            for client in [*clients, host_ws]:
                await receive_json(client)
            for index in range(flood):
                await send(clients[index % len(clients)], "chat", text=f"flood {index}")
                if index % 40 == 20:
                    assert (await chat(host_ws, f"host says {index}"))["type"] == "chat_ack"
            for client in clients:
                await send(client, "ping")
                await receive_until(client, "pong")
        finally:
            for client in [*clients, host_ws]:
                await client.close()
        frames = await chat_texts_until(
            watcher, lambda frames: sum(frame["data"]["count"] for frame in frames) >= flood + 3
        )
    shown = texts(frames)
    assert sum(frame["data"]["count"] for frame in frames) == flood + 3
    assert any(frame["data"]["sampled"] for frame in frames)
    assert len(shown) < flood + 3
    assert [text for text in shown if text.startswith("host")] == [
        "host says 20",
        "host says 60",
        "host says 100",
    ]
    for frame in frames:
        assert len(frame["data"]["messages"]) <= frame["data"]["count"]
        assert frame["data"]["sampled"] == (len(frame["data"]["messages"]) < frame["data"]["count"])
