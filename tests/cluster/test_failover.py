"""A master of a six-node Redis Cluster (three masters, one replica each) killed with SIGKILL
while livebuy serves on it: viewers of a show on that master pause, then their frames resume;
producer cues meanwhile are refused with a clear 503 or land; and an order answered with
``LIVEBUY_REDIS_WAIT_REPLICAS=1`` is on the replica that is promoted."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as sync_redis
from redis.asyncio import Redis as AsyncRedis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from livebuy.redis import keys
from livebuy.redis.connection import connect as connect_redis
from livebuy.sessions.service import SessionService
from tests.cluster_fixture import EmbeddedCluster
from tests.commerce.helpers import SKU, auth
from tests.servers import (
    PRODUCER_TOKEN,
    TIMEOUT_S,
    InProcessServer,
    LiveServer,
    receive_json,
    settings_for_tests,
)

SHOW = "spring-runway"
VIEWERS = 20
# Short, so the replica is promoted about a second after the kill (the default is 15 s).
NODE_TIMEOUT_MS = 1000
# Under NODE_TIMEOUT_MS: a replica held back for one WAIT is not failed by the cluster.
WAIT_TIMEOUT_MS = 300
CUE_INTERVAL_S = 0.05
CUES_AFTER = 5


@pytest.fixture(scope="module")
def failover_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """Three masters with a replica each; each test kills one master, so it is the module's own."""
    cluster = EmbeddedCluster(
        Path(tmp_path_factory.mktemp("failover")), replicas=1, node_timeout_ms=NODE_TIMEOUT_MS
    )
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
async def server(failover_cluster: EmbeddedCluster) -> AsyncIterator[LiveServer]:
    """One server on the cluster whose orders wait for one replica."""
    settings = settings_for_tests(
        redis_cluster=True,
        redis_wait_replicas=1,
        redis_wait_timeout_ms=WAIT_TIMEOUT_MS,
    )
    started = InProcessServer(settings, failover_cluster.url)
    await started.start()
    yield started
    await started.stop()


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll ``check`` until it holds: another process's state, with no event to wait on."""
    async with asyncio.timeout(TIMEOUT_S * 3):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


def node_info(port: int) -> dict[str, Any]:
    """``INFO replication`` of one node."""
    client = sync_redis.Redis(port=port, decode_responses=True)
    try:
        info: dict[str, Any] = client.info("replication")
        return info
    finally:
        client.close()


def replica_of(master: int, cluster: EmbeddedCluster) -> int | None:
    """The port of ``master``'s replica, if it has one online."""
    info = node_info(master)
    if int(info["connected_slaves"]) == 0:
        return None
    port = int(info["slave0"]["port"])
    return port if port in cluster.ports else None


async def wait_promoted(port: int) -> float:
    """Wait until the replica on ``port`` says it is a master; the monotonic time it was seen."""
    client = AsyncRedis(port=port, decode_responses=True)

    async def is_master() -> bool:
        return bool((await client.info("replication"))["role"] == "master")

    try:
        await eventually(is_master)
    finally:
        await client.aclose()
    return time.monotonic()


def cut_off(master: int) -> None:
    """Close the replication links of ``master`` (its replicas reconnect on their own)."""
    client = sync_redis.Redis(port=master)
    try:
        client.client_kill_filter(_type="replica")
    finally:
        client.close()


async def link_up(replica: int) -> None:
    """Wait until the replica on ``replica`` is linked to its master again."""
    client = AsyncRedis(port=replica, decode_responses=True)

    async def linked() -> bool:
        return bool((await client.info("replication")).get("master_link_status") == "up")

    try:
        await eventually(linked)
    finally:
        await client.aclose()


@dataclass
class Viewer:
    """One websocket viewer and every frame it got after its snapshot."""

    ws: ClientConnection
    snapshot: dict[str, Any]
    frames: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    async def read_until(self, text: str) -> None:
        """Collect frames until the announcement ``text`` (or a snapshot, then it) arrives."""
        while True:
            frame = await receive_json(self.ws)
            self.frames.append((time.monotonic(), frame))
            if frame["data"].get("text") == text:
                return


async def join(server: LiveServer) -> tuple[int | None, Viewer | None]:
    """A viewer joining now: its close code if it was refused, else the viewer."""
    ws = await connect(server.ws_url(SHOW), max_queue=None)
    try:
        snapshot = await receive_json(ws)
    except ConnectionClosed:
        return ws.close_code, None
    return None, Viewer(ws, snapshot)


@dataclass
class Posted:
    """A producer cue's answer during the test."""

    text: str
    status: int
    body: dict[str, Any]
    answered_at: float


async def post(client: httpx.AsyncClient, text: str) -> Posted:
    """Publish an announcement as the producer."""
    response = await client.post(
        f"/api/shows/{SHOW}/cues",
        json={"cue": {"kind": "announce", "text": text}},
        headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
    )
    return Posted(text, response.status_code, response.json(), time.monotonic())


async def test_viewers_pause_then_resume_when_the_shows_master_fails_over(
    server: LiveServer, failover_cluster: EmbeddedCluster
) -> None:
    """SIGKILL of the show's master: every viewer's socket stays open and its frames resume as
    consecutive seqs (or from a fresh snapshot if history was lost); cues meanwhile get a JSON
    503 ``unavailable`` or land; /readyz answers 200 or a JSON 503, and 200 again after."""
    master = failover_cluster.master_of(keys.show_events(SHOW))
    replica = replica_of(master, failover_cluster)
    assert replica is not None
    viewers = []
    for _ in range(VIEWERS):
        ws = await connect(server.ws_url(SHOW), max_queue=None)
        viewers.append(Viewer(ws, await receive_json(ws)))
    posted: list[Posted] = []
    readiness: list[tuple[int, dict[str, Any]]] = []
    async with server.http() as client:
        for index in range(3):
            posted.append(await post(client, f"before {index}"))
        assert [cue.status for cue in posted] == [201] * 3
        last_before = posted[-1].body["seq"]
        killed_at = time.monotonic()
        failover_cluster.kill(master)
        promoted = asyncio.create_task(wait_promoted(replica))
        joining = asyncio.create_task(join(server))
        accepted_after = 0
        async with asyncio.timeout(TIMEOUT_S * 3):
            index = 0
            while accepted_after < CUES_AFTER:
                cue, ready = await asyncio.gather(
                    post(client, f"during {index}"), client.get("/readyz")
                )
                posted.append(cue)
                readiness.append((ready.status_code, ready.json()))
                accepted_after += cue.status == 201
                index += 1
                await asyncio.sleep(CUE_INTERVAL_S)
        first_accepted = next(c for c in posted[3:] if c.status == 201)
        promoted_at = await promoted
        final = await post(client, "end")
        assert final.status == 201, final.body
        after = await client.get("/readyz")
    refused_join, joiner = await joining
    # Joining during the outage: the snapshot once the replica answers, or a 1011 to retry on.
    assert refused_join in (None, 1011)
    if joiner is not None:
        viewers.append(joiner)
    await asyncio.gather(*(viewer.read_until("end") for viewer in viewers))
    for viewer in viewers:
        assert viewer.ws.close_code is None
        await viewer.ws.close()

    refused = [cue for cue in posted if cue.status != 201]
    assert all(cue.status == 503 for cue in refused), refused
    assert all(cue.body["error"]["code"] == "unavailable" for cue in refused), refused
    assert all(status in (200, 503) for status, _ in readiness), readiness
    assert all(body["status"] == "redis unavailable" for status, body in readiness if status == 503)
    assert after.status_code == 200

    accepted = [cue.text for cue in posted if cue.status == 201] + ["end"]
    pauses = []
    lost = 0
    if joiner is not None:
        viewers.remove(joiner)
        seqs = [frame["seq"] for _, frame in joiner.frames]
        assert seqs == list(
            range(joiner.snapshot["seq"] + 1, joiner.snapshot["seq"] + 1 + len(seqs))
        )
    for viewer in viewers:
        frames = [frame for _, frame in viewer.frames]
        snapshots = [i for i, frame in enumerate(frames) if frame["type"] == "snapshot"]
        if snapshots:
            # Acknowledged cues were lost with the old master: a fresh start, then no gap.
            lost += 1
            restart = snapshots[-1]
            assert frames[restart]["data"]["recovered"] is False
            start_seq, frames = frames[restart]["seq"], frames[restart + 1 :]
        else:
            start_seq = viewer.snapshot["seq"]
            texts = [frame["data"].get("text") for frame in frames]
            assert [text for text in texts if text is not None] == accepted
        seqs = [frame["seq"] for frame in frames]
        assert seqs == list(range(start_seq + 1, start_seq + 1 + len(seqs)))
        pauses.append(
            next(at for at, frame in viewer.frames if frame["seq"] > last_before) - killed_at
        )
    print(
        f"\nfailover: replica promoted {promoted_at - killed_at:.2f} s after the kill; "
        f"first cue accepted {first_accepted.answered_at - killed_at:.2f} s after the kill "
        f"({len(refused)} refused with 503, first accepted '{first_accepted.text}'); "
        f"pause to the next frame: median {statistics.median(pauses) * 1000:.0f} ms, "
        f"max {max(pauses) * 1000:.0f} ms; /readyz 503 answers: "
        f"{sum(status == 503 for status, _ in readiness)} of {len(readiness)}; "
        f"viewers resent a snapshot: {lost}; a viewer joining at the kill: "
        f"{'closed 1011' if joiner is None else 'snapshot'}"
    )


async def test_an_order_answered_survives_the_failover_of_its_master(
    server: LiveServer, failover_cluster: EmbeddedCluster
) -> None:
    """With one replica to wait for: while the replica lags, an order is answered 503
    ``not_replicated``; once it has the order, the retry with the same Idempotency-Key answers
    it, and after SIGKILL of the master the promoted replica still has it."""
    client = connect_redis(failover_cluster.url, cluster=True)
    try:
        sessions = SessionService.from_settings(client, server.settings)
        show_key = keys.show_events(SHOW)
        while True:
            issued = await sessions.create(None)
            marker = keys.replication_marker(keys.customer_bucket(issued.session_id))
            master = failover_cluster.master_of(marker)
            replica = replica_of(master, failover_cluster)
            # The show's shard is left for the viewers' test, whichever runs first.
            if replica is not None and master != failover_cluster.master_of(show_key):
                break
    finally:
        await client.aclose()
    headers = auth(issued.token, "failover-order")
    body = {"sku": SKU, "quantity": 1}
    async with server.http() as http:
        # A replica cut off from its master (and held stopped, so it cannot reconnect): the
        # master has the order, the replica has not, and a failover now would lose it.
        os.kill(failover_cluster.pid(replica), signal.SIGSTOP)
        try:
            cut_off(master)
            lagging = await http.post("/api/orders", json=body, headers=headers)
        finally:
            os.kill(failover_cluster.pid(replica), signal.SIGCONT)
        assert lagging.status_code == 503, lagging.text
        error = lagging.json()["error"]
        assert error["code"] == "not_replicated"
        order_id = error["order_id"]
        await link_up(replica)
        retried = await http.post("/api/orders", json=body, headers=headers)
        assert retried.status_code == 200, retried.text
        assert retried.json()["id"] == order_id
        failover_cluster.kill(master)
        await wait_promoted(replica)
        promoted = sync_redis.Redis(port=replica, decode_responses=True)
        try:
            assert promoted.hget(keys.order(order_id), "status") == "pending_payment"
        finally:
            promoted.close()
        answers: list[httpx.Response] = []

        async def answered() -> bool:
            # 503 while the server's client still maps the slot to the dead master.
            answers.append(await http.get(f"/api/orders/{order_id}", headers=headers))
            return answers[-1].status_code != 503

        await eventually(answered)
        assert answers[-1].status_code == 200, answers[-1].text
        assert answers[-1].json()["status"] == "pending_payment"
