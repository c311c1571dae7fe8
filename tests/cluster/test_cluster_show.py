"""livebuy on a real three-master Redis Cluster: the show, resume, late join, chat and a poll
end to end through a real uvicorn server with ``LIVEBUY_REDIS_CLUSTER=true``."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis as sync_redis
from redis.asyncio import Redis
from redis.exceptions import RedisClusterException
from websockets.asyncio.client import ClientConnection, connect

from livebuy.events.models import AnnounceEvent
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from tests.chat.helpers import chat, chat_texts_until, new_session, texts
from tests.cluster_fixture import EmbeddedCluster
from tests.servers import TIMEOUT_S, InProcessServer, LiveServer, receive_json, settings_for_tests

SHOW = "spring-runway"
SPEED = 200
LAST_CUE = "goodbye"


@pytest.fixture(scope="module")
async def server(redis_cluster: EmbeddedCluster) -> AsyncIterator[LiveServer]:
    """One server on the cluster for the module; it plays the demo run sheet once, fast."""
    redis_cluster.flush()
    settings = settings_for_tests(
        redis_cluster=True,
        play_shows=True,
        speed=SPEED,
        loop_demo=False,
        # Time for the first test's viewer to join before the first cue.
        demo_start_delay_ms=1500,
        chat_batch_interval_ms=20,
        poll_answer_tolerance_ms=300,
    )
    started = InProcessServer(settings, redis_cluster.url)
    await started.start()
    yield started
    await started.stop()


async def frames_until(
    ws: ClientConnection, done: Any, limit_s: float = TIMEOUT_S * 3
) -> list[dict[str, Any]]:
    """Every frame up to and including the first for which ``done(frame)`` holds."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(limit_s):
        while not frames or not done(frames[-1]):
            frames.append(await receive_json(ws))
    return frames


def is_last_cue(frame: dict[str, Any]) -> bool:
    return bool(frame["type"] == "cue" and frame["data"].get("cue_id") == LAST_CUE)


async def test_run_sheet_plays_to_viewers_once_with_no_gap(
    server: LiveServer, redis_cluster: EmbeddedCluster
) -> None:
    """The run sheet played on a cluster reaches a viewer as consecutive seqs, each cue once."""
    async with connect(server.ws_url(SHOW), max_queue=None) as ws:
        snapshot = await receive_json(ws)
        live = await frames_until(ws, is_last_cue)
    assert snapshot["type"] == "snapshot"
    seqs = [frame["seq"] for frame in live]
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(live)))
    epoch = snapshot["data"]["epoch"]
    # The whole history, replayed from the stream on the show's master: each cue exactly once.
    async with connect(server.ws_url(SHOW, since=1, epoch=epoch), max_queue=None) as ws:
        history = await frames_until(ws, lambda frame: frame["seq"] == seqs[-1])
    assert [frame["seq"] for frame in history] == list(range(2, seqs[-1] + 1))
    cue_ids = Counter(frame["data"]["cue_id"] for frame in history if frame["type"] == "cue")
    assert cue_ids and set(cue_ids.values()) == {1}
    # The data really is spread: the catalog and sessions sit on more than one master.
    masters_with_keys = 0
    for port in redis_cluster.ports:
        client = sync_redis.Redis(port=port)
        try:
            masters_with_keys += int(client.dbsize() > 0)
        finally:
            client.close()
    assert masters_with_keys >= 2


async def test_resume_with_since_has_no_gap_and_no_duplicate(server: LiveServer) -> None:
    """A viewer reconnecting with since gets exactly the frames it missed, then live ones."""
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
        await server.post_cue(SHOW, {"kind": "announce", "text": "seen"})
        seen = await frames_until(ws, lambda frame: frame["data"].get("text") == "seen")
    last_seen = seen[-1]["seq"]
    for index in range(5):
        await server.post_cue(SHOW, {"kind": "announce", "text": f"missed {index}"})
    url = server.ws_url(SHOW, since=last_seen, epoch=snapshot["data"]["epoch"])
    async with connect(url) as ws:
        missed = await frames_until(ws, lambda frame: frame["data"].get("text") == "missed 4")
        await server.post_cue(SHOW, {"kind": "announce", "text": "live"})
        live = await frames_until(ws, lambda frame: frame["data"].get("text") == "live")
    # The looping run sheet and the show's loops add frames between the announcements.
    seqs = [frame["seq"] for frame in missed + live]
    assert seqs == list(range(last_seen + 1, last_seen + 1 + len(seqs)))
    ours = [str(frame["data"].get("text")) for frame in missed + live]
    ours = [text for text in ours if text.startswith(("missed", "live"))]
    assert ours == [f"missed {i}" for i in range(5)] + ["live"]


async def test_late_joiner_gets_current_state_in_its_snapshot(server: LiveServer) -> None:
    """A viewer joining after a poll opened gets it in its snapshot, at the latest seq."""
    cue = {
        "kind": "poll",
        "poll_id": "late-poll",
        "question": "Late?",
        "options": ["yes", "no"],
        "duration_ms": 600_000,
    }
    opened = await server.post_cue(SHOW, cue)
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
    data = snapshot["data"]
    # The looping run sheet may have added cues since.
    assert snapshot["seq"] == data["latest_seq"] >= opened["seq"]
    assert "late-poll" in [poll["poll_id"] for poll in data["polls"]]


async def test_chat_message_is_acked_and_batched_to_every_viewer(server: LiveServer) -> None:
    """A chat message posted on a cluster is acked and reaches another viewer in a chat frame."""
    alice = await new_session(server, "Alice")
    async with (
        connect(server.ws_url(SHOW, token=alice["token"])) as sender,
        connect(server.ws_url(SHOW)) as watcher,
    ):
        await receive_json(sender)
        await receive_json(watcher)
        ack = await chat(sender, "hello from a cluster")
        frames = await chat_texts_until(
            watcher, lambda frames: "hello from a cluster" in texts(frames)
        )
    assert ack["type"] == "chat_ack"
    assert ack["data"]["author"]["handle"] == alice["handle"]
    assert frames[-1]["data"]["messages"][-1]["id"] == ack["data"]["id"]


async def test_poll_counts_votes_and_pushes_final_results(server: LiveServer) -> None:
    """A poll on a cluster: one vote per session counted, and the final results frame at close."""
    voters = [await new_session(server) for _ in range(3)]
    cue = {
        "kind": "poll",
        "poll_id": "cluster-poll",
        "question": "Which look next?",
        "options": ["trench", "blazer"],
        "duration_ms": 600_000,
    }
    async with connect(server.ws_url(SHOW), max_queue=None) as ws:
        await receive_json(ws)
        await server.post_cue(SHOW, cue)
        async with server.http() as client:
            for index, voter in enumerate(voters):
                for _ in range(2):
                    response = await client.post(
                        f"/api/shows/{SHOW}/polls/cluster-poll/votes",
                        json={"option": index % 2},
                        headers={"Authorization": f"Bearer {voter['token']}"},
                    )
                    assert response.status_code in (201, 409), response.text
        await server.post_cue(SHOW, {"kind": "poll_close", "poll_id": "cluster-poll"})
        frames = await frames_until(
            ws,
            lambda frame: (
                frame["type"] == "poll_results"
                and frame["data"]["poll_id"] == "cluster-poll"
                and frame["data"]["final"] is True
            ),
        )
    final = frames[-1]["data"]
    assert final["poll_id"] == "cluster-poll"
    assert final["counts"] == [2, 1] and final["total"] == 3


async def test_each_master_runs_the_scripts_and_a_cross_slot_multi_is_refused(
    redis_cluster: EmbeddedCluster, cluster_client: Redis
) -> None:
    """Shows on each of the three masters get appends (each master loads the script on first
    use), and a MULTI over two shows' keys is refused by the client, as the slot guard says."""
    shows: dict[int, str] = {}
    index = 0
    while len(shows) < len(redis_cluster.ports):
        show_id = f"cluster-show-{index}"
        shows.setdefault(redis_cluster.master_of(keys.show_events(show_id)), show_id)
        index += 1
    stream = ShowStream(cluster_client, maxlen=100)
    for show_id in shows.values():
        first = await stream.append(
            show_id, 1, AnnounceEvent(cue_id="c1", kind="announce", text="one")
        )
        again = await stream.append(
            show_id, 2, AnnounceEvent(cue_id="c2", kind="announce", text="two"), dedupe_id="cue-2"
        )
        same = await stream.append(
            show_id, 3, AnnounceEvent(cue_id="c2", kind="announce", text="two"), dedupe_id="cue-2"
        )
        assert (first.seq, again.seq, same.seq, same.created) == (1, 2, 2, False)
        assert await stream.latest_seq(show_id) == 2
    one, two = list(shows.values())[:2]
    with pytest.raises(RedisClusterException):
        async with cluster_client.pipeline(transaction=True) as pipe:
            await pipe.get(keys.show_seq(one))
            await pipe.get(keys.show_seq(two))
            await pipe.execute()
