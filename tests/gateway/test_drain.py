"""Graceful drain: SIGTERM one of two gateways under hundreds of viewers; none misses a frame."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from livebuy.drain import RECONNECT_HINT
from tests.servers import TIMEOUT_S, LiveServer, ProcessServer, start_together

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]
VIEWERS = 300
CONNECT_CONCURRENCY = 50
CUE_INTERVAL_S = 0.1
RESUME_ATTEMPTS = 3
BATCH = re.compile(r"drain batch \d+: closed (\d+) viewer")
DRAIN = {
    "drain_grace_ms": 1500,
    "drain_window_ms": 3000,
    "drain_batch_interval_ms": 300,
    "drain_reconnect_jitter_ms": 300,
}


@dataclass
class Viewer:
    """What one viewer saw: its show seqs and how its first socket ended."""

    seqs: list[int] = field(default_factory=list)
    snapshots: int = 0
    close_code: int | None = None
    close_reason: str = ""
    resumed: bool = False


class Timeline:
    """Events in the order the test saw them (one event loop: a total order, no clocks)."""

    def __init__(self) -> None:
        self._order = itertools.count()
        self.not_ready_at: int | None = None
        self.closes: list[int] = []

    def tick(self) -> int:
        return next(self._order)


async def _watch(
    ws_url: str,
    epoch: str,
    viewer: Viewer,
    timeline: Timeline,
    other: LiveServer,
    done: asyncio.Event,
    gate: asyncio.Semaphore,
) -> None:
    """Follow the show on the draining gateway, then resume on the other one after the hint."""
    async with gate:
        first = await connect(ws_url, open_timeout=TIMEOUT_S)
    async with first as ws:
        try:
            while True:
                frame = json.loads(await ws.recv())
                viewer.snapshots += frame["type"] == "snapshot"
                viewer.seqs.append(frame["seq"])
        except ConnectionClosed as closed:
            timeline.closes.append(timeline.tick())
            if closed.rcvd is not None:
                viewer.close_code, viewer.close_reason = closed.rcvd.code, closed.rcvd.reason
    hint = RECONNECT_HINT.search(viewer.close_reason)
    await asyncio.sleep(int(hint.group(1)) / 1000 if hint else 0)
    resume = other.ws_url(SHOW, since=viewer.seqs[-1], epoch=epoch)
    async with gate:
        # As every client does: a handshake that fails (a busy gateway) is retried.
        for attempt in range(RESUME_ATTEMPTS):
            try:
                second = await connect(resume, open_timeout=TIMEOUT_S)
                break
            except (OSError, TimeoutError, InvalidStatus):
                if attempt == RESUME_ATTEMPTS - 1:
                    raise
    async with second as ws:
        viewer.resumed = True
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    frame = json.loads(await ws.recv())
                    viewer.snapshots += frame["type"] == "snapshot"
                    viewer.seqs.append(frame["seq"])


async def _watch_readiness(server: LiveServer, timeline: Timeline) -> int:
    """Poll ``/readyz`` until it is 503; then a new handshake must be refused: its status."""
    async with server.http() as client:
        while True:
            # A pooled connection the server closed as idle is no answer: ask again.
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code != 200:
                    break
            await asyncio.sleep(0.01)
        timeline.not_ready_at = timeline.tick()
        assert (await client.get("/healthz")).status_code == 200, "HTTP is still served"
    try:
        async with connect(server.ws_url(SHOW)):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


async def until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Wait until ``condition()`` holds (the viewers' tasks make it so), at most ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


async def _publish(server: LiveServer, stop: asyncio.Event, published: list[int]) -> None:
    while not stop.is_set():
        answer = await server.post_cue(SHOW, {"kind": "announce", "text": "still live"})
        published.append(answer["seq"])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CUE_INTERVAL_S)


@pytest.mark.serial
async def test_sigterm_drains_viewers_to_the_other_gateway_without_gap_or_duplicate(
    make_server: MakeServer,
) -> None:
    """SIGTERM: not ready first, handshakes refused with 503, then 1012 closes with a reconnect
    hint in several batches; every viewer resumes on the other gateway with every seq exactly
    once."""
    draining, other = await start_together(make_server, 2, process=True, **DRAIN)
    assert isinstance(draining, ProcessServer)
    timeline = Timeline()
    viewers = [Viewer() for _ in range(VIEWERS)]
    done = asyncio.Event()
    stop_publishing = asyncio.Event()
    published: list[int] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    # Viewers join by resuming just before a first cue: one small frame each, not a snapshot.
    async with connect(other.ws_url(SHOW)) as probe:
        epoch = json.loads(await probe.recv())["data"]["epoch"]
    first = (await other.post_cue(SHOW, {"kind": "announce", "text": "doors open"}))["seq"]
    url = draining.ws_url(SHOW, since=first - 1, epoch=epoch)
    watchers = [
        asyncio.create_task(_watch(url, epoch, viewer, timeline, other, done, gate))
        for viewer in viewers
    ]
    try:
        await until(lambda: all(viewer.seqs for viewer in viewers), TIMEOUT_S * 2)
        publisher = asyncio.create_task(_publish(other, stop_publishing, published))
        draining.send_signal(signal.SIGTERM)
        refused_with = await asyncio.wait_for(_watch_readiness(draining, timeline), TIMEOUT_S)
        await until(lambda: all(viewer.resumed for viewer in viewers), TIMEOUT_S * 2)
        stop_publishing.set()
        await publisher
        last = published[-1]
        await until(lambda: min(viewer.seqs[-1] for viewer in viewers) >= last, TIMEOUT_S)
    except TimeoutError:
        stages = {
            "joined": sum(bool(viewer.seqs) for viewer in viewers),
            "closed": len(timeline.closes),
            "resumed": sum(viewer.resumed for viewer in viewers),
            "failed": {
                repr(watcher.exception())
                for watcher in watchers
                if watcher.done() and not watcher.cancelled() and watcher.exception()
            },
        }
        raise AssertionError(
            f"stuck at {stages}; draining gateway: {draining.log_tail()}"
        ) from None
    finally:
        done.set()
        stop_publishing.set()
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    assert refused_with == 503
    assert timeline.not_ready_at is not None and timeline.not_ready_at < min(timeline.closes)
    assert {viewer.close_code for viewer in viewers} == {1012}
    hints = {RECONNECT_HINT.search(viewer.close_reason) is not None for viewer in viewers}
    assert hints == {True}
    assert len({viewer.close_reason for viewer in viewers}) > 1, "the reconnect delays are random"
    # Spread: the gateway closed them in several batches (its own account, not a clock's).
    batches = [int(closed) for closed in BATCH.findall(draining.log_tail(50_000))]
    assert sum(batches) == VIEWERS
    assert len([closed for closed in batches if closed]) > 1, f"closed in one batch: {batches}"
    for viewer in viewers:
        assert viewer.seqs == list(range(first, last + 1)), "a gap or a duplicate"
        assert viewer.snapshots == 0, "a resume fell back to a snapshot"
    async with httpx.AsyncClient(verify=False, base_url=other.base_url) as client:
        assert (await client.get("/readyz")).status_code == 200
