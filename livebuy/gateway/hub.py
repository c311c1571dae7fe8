"""Per-show hub: reads the show's Redis Stream once per process and fans frames out locally."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from livebuy import metrics
from livebuy.clock import now_ms
from livebuy.events.frames import encode_frame
from livebuy.events.stream import StreamPosition, decode_entries
from livebuy.gateway.connection import Position, ViewerConnection
from livebuy.gateway.control import SnapshotData
from livebuy.gateway.frames import Frame
from livebuy.redis import keys
from livebuy.tasks import raise_if_cancelled

log = logging.getLogger(__name__)

READ_BLOCK_MS = 1000
READ_COUNT = 500
# The keepalive frame: an unsolicited websocket pong with no payload (RFC 6455 5.5.3: a one-way
# heartbeat, never answered), so a quiet show's viewers send nothing back for the server to parse;
# server frames are unmasked, so these bytes suit every viewer.
KEEPALIVE_FRAME = b"\x8a\x00"
# How early the keepalive may ping a hub, and its shortest sleep (so a hub due now is not spun on).
KEEPALIVE_SLACK_S = 0.005

# A show's join snapshot (ShowService.snapshot): its position and the snapshot frame's data.
Snapshot = Callable[[str], Awaitable[tuple[StreamPosition, SnapshotData]]]


class StreamWatcher(Protocol):
    """Something in this process that learns from the show streams the hubs read anyway."""

    def on_entries(self, show_id: str, entries: list[tuple[str, dict[str, str]]]) -> None:
        """Raw stream entries, in order, before they are fanned out."""

    def on_reset(self, show_id: str) -> None:
        """The show's history was lost: entries may have been missed."""


class ShowHub:
    """Every viewer of one show in this process; each frame is encoded once and shared.

    Viewers that are still joining (snapshot or history on its way), or that have not caught up,
    or have no raw transport, get frames through ``ViewerConnection.deliver``, which queues them
    and drops what they already have. Once a live viewer on a raw transport has caught up with
    the hub, its transport joins a plain list the hub writes to in one tight loop, because at 10k
    viewers any per-viewer Python call or attribute lookup costs more than the framing it saves.
    """

    def __init__(
        self,
        redis: Redis,
        show_id: str,
        on_gap: Callable[[], None],
        watchers: list[StreamWatcher] | None = None,
    ) -> None:
        self.show_id = show_id
        self._watchers = watchers if watchers is not None else []
        self.epoch = ""
        self._on_gap = on_gap
        self.connections: set[ViewerConnection] = set()
        self.audience: set[ViewerConnection] = set()
        self.position = Position()
        self._joining: set[ViewerConnection] = set()
        self._live: dict[ViewerConnection, asyncio.Transport] = {}
        self._live_transports: list[tuple[asyncio.Transport, int, ViewerConnection]] | None = None
        self._redis = redis
        self._task: asyncio.Task[None] | None = None
        # Loop time of the last write to the live viewers: the keepalive serves only a hub that has
        # been quiet for a whole interval (any frame puts bytes on the wire as well as it does).
        self.written_at = asyncio.get_running_loop().time()

    async def start(self) -> None:
        """Start reading after the latest event; viewers joining later get older ones by snapshot."""
        async with self._redis.pipeline(transaction=True) as pipe:
            # The epoch is fixed now if no event has fixed it yet, as the first snapshot would.
            await pipe.set(keys.show_epoch(self.show_id), secrets.token_hex(8), nx=True)
            await pipe.get(keys.show_seq(self.show_id))
            await pipe.get(keys.show_epoch(self.show_id))
            _, seq, epoch = await pipe.execute()
        self.position.seq = int(seq or 0)
        self.epoch = str(epoch)
        self._task = asyncio.create_task(self._read(self.position.seq), name=f"hub:{self.show_id}")

    async def history_lost(self) -> bool:
        """Whether the show's stream is no longer the one this hub reads: Redis lost its data.

        Seen as an epoch that changed or vanished, or a seq that went back.
        """
        # Taken before the read: while it is in flight the hub may broadcast frames appended after
        # it, and comparing Redis's older seq with that newer position would see a seq go back.
        epoch_before, seq_before = self.epoch, self.position.seq
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.get(keys.show_seq(self.show_id))
            await pipe.get(keys.show_epoch(self.show_id))
            seq, epoch = await pipe.execute()
        return epoch != epoch_before or int(seq or 0) < seq_before

    async def restart(self, snapshot: Snapshot) -> None:
        """Follow the show's new stream and give every viewer a fresh snapshot (``recovered:
        false``), from which its frames continue; viewers still joining are told to reconnect.
        """
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            position, data = await snapshot(self.show_id)
        except BaseException:
            # Keep reading where the hub was; the next recovery check tries again.
            self._task = asyncio.create_task(self._read(self.position.seq))
            raise
        data = data.model_copy(update={"recovered": False})
        for watcher in self._watchers:
            watcher.on_reset(self.show_id)
        now = now_ms()
        frame = Frame.of(encode_frame("snapshot", position.seq, now, now, data.data_json()))
        self.epoch = position.epoch
        # Live viewers share this position, so they continue from the snapshot's seq too.
        self.position.seq = position.seq
        self._write_live(frame.wire)
        for connection in list(self._joining):
            connection.restart(position.seq, frame)
        self._task = asyncio.create_task(self._read(position.seq), name=f"hub:{self.show_id}")
        log.warning(
            "show history lost: viewers resent a snapshot",
            extra={"show_id": self.show_id, "epoch": self.epoch},
        )

    async def stop(self) -> None:
        """Stop reading (at shutdown)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def add(self, connection: ViewerConnection, *, audience: bool = True) -> None:
        """Deliver live frames to ``connection`` from now on; ``audience`` counts it as a viewer
        (a producer's console watches too, but is not part of the show's audience)."""
        self.connections.add(connection)
        self._joining.add(connection)
        if audience:
            self.audience.add(connection)
            metrics.VIEWERS.labels(self.show_id).inc()

    def remove(self, connection: ViewerConnection) -> None:
        """Stop delivering to ``connection``."""
        if connection in self.connections:
            self.connections.discard(connection)
            self._joining.discard(connection)
            if self._live.pop(connection, None) is not None:
                self._live_transports = None
            if connection in self.audience:
                self.audience.discard(connection)
                if self.audience:
                    metrics.VIEWERS.labels(self.show_id).dec()
                else:
                    # The show is over for this process: its series go rather than sit at zero.
                    metrics.forget_show(self.show_id)

    def broadcast(self, first_seq: int, texts: list[str]) -> None:
        """Hand consecutive show frames, starting at ``first_seq``, to every viewer.

        Each frame is encoded once, and the whole batch is joined once, so a viewer that is up to
        date gets one transport write per batch however many frames it holds.
        """
        frames = [Frame.of(text) for text in texts]
        joined = frames[0].wire if len(frames) == 1 else b"".join(frame.wire for frame in frames)
        last_seq = first_seq + len(frames) - 1
        self._write_live(joined)
        self.position.seq = last_seq
        for connection in self._joining:
            connection.deliver(first_seq, frames, joined)
        self._promote()
        metrics.DELIVERIES.inc(len(self.connections) * len(frames))

    def ping(self) -> None:
        """Keepalive: one empty pong frame to every live viewer, written in the fan-out loop.

        Its only job is to put bytes on the wire: proxies and NATs see traffic, and a peer that
        is gone leaves them unacknowledged until the kernel's ``TCP_USER_TIMEOUT`` closes the
        connection. A pong, not a ping, because nothing needs the answer: a ping would make every
        viewer send a pong back for the server to read and parse. Viewers that caught up since
        the last broadcast go live first (on a quiet show nothing else would promote them).
        ``HubRegistry`` calls it only for a hub that wrote nothing for a whole interval: any
        frame does its job, and each round costs a ``send`` per viewer.
        """
        self._promote()
        self._write_live(KEEPALIVE_FRAME)

    def _write_live(self, joined: bytes) -> None:
        self.written_at = asyncio.get_running_loop().time()
        if self._live_transports is None:
            self._live_transports = [
                (transport, connection.max_bytes, connection)
                for connection, transport in self._live.items()
            ]
        slow = []
        size = len(joined)
        for transport, max_bytes, connection in self._live_transports:
            # A transport closes before its endpoint leaves the hub; uvloop refuses writes then.
            if transport.is_closing():
                continue
            # Too slow: the kernel is full and this batch would take the unsent backlog past the
            # bound. The batch is not written, so the 4429 close frame that follows waits behind
            # at most max_bytes (the rule of RawSocket.write, inlined for the hot loop).
            unsent = transport.get_write_buffer_size()
            if unsent and unsent + size > max_bytes:
                slow.append(connection)
                continue
            transport.write(joined)
        for connection in slow:
            self._live.pop(connection, None)
            self._live_transports = None
            connection.mark_slow()

    def _promote(self) -> None:
        """Move viewers that have caught up with the hub from the joining set to the live list."""
        caught_up = []
        for connection in self._joining:
            transport = connection.hub_transport(self.position)
            if transport is not None:
                caught_up.append((connection, transport))
        for connection, transport in caught_up:
            self._joining.discard(connection)
            self._live[connection] = transport
            self._live_transports = None

    async def _read(self, last_seq: int) -> None:
        stream = keys.show_events(self.show_id)
        last_id = f"0-{last_seq}"
        while True:
            try:
                reply = await self._redis.xread(
                    {stream: last_id}, count=READ_COUNT, block=READ_BLOCK_MS
                )
            except RedisError:
                raise_if_cancelled()
                log.exception("show stream read failed; retrying", extra={"show_id": self.show_id})
                await asyncio.sleep(1)
                continue
            if not reply:
                continue
            # RESP2 reply: [[stream, [(id, fields), ...]]] (the stubs describe the RESP3 map).
            entries = cast(list[tuple[str, dict[str, str]]], reply[0][1])  # type: ignore[index]
            decoded = decode_entries(entries, now_ms())
            # Stream ids are 0-<seq> with no holes, so a batch is consecutive seqs; one that does
            # not follow on is another history (Redis lost its data): recovery restarts the hub.
            if decoded[0][0] != self.position.seq + 1 and await self.history_lost():
                self._on_gap()
                await asyncio.sleep(READ_BLOCK_MS / 1000)
                continue
            for watcher in self._watchers:
                try:
                    watcher.on_entries(self.show_id, entries)
                except Exception:
                    # A watcher's fault must not stop the show's frames reaching its viewers.
                    log.exception("stream watcher failed", extra={"show_id": self.show_id})
            self.broadcast(decoded[0][0], [text for _, text in decoded])
            last_id = entries[-1][0]
            written = now_ms()
            for _, fields in entries:
                if fields["type"] == "cue":
                    metrics.CUE_TO_SEND.observe(max(0, written - int(fields["at"])) / 1000)


class HubRegistry:
    """The hubs of this process, started on a show's first viewer and kept until shutdown."""

    def __init__(self, redis: Redis, *, ping_interval_s: float = 0) -> None:
        self._redis = redis
        self._hubs: dict[str, ShowHub] = {}
        self._lock = asyncio.Lock()
        self._watchers: list[StreamWatcher] = []
        # Set when a hub sees a seq that does not follow on; the recovery watcher waits on it.
        self.gap_seen = asyncio.Event()
        self._keepalive: asyncio.Task[None] | None = None
        if ping_interval_s > 0:
            self._keepalive = asyncio.create_task(
                self._ping_every(ping_interval_s), name="keepalive"
            )

    async def _ping_every(self, interval_s: float) -> None:
        """Ping each hub's viewers once it has written nothing for ``interval_s``: a quiet show
        is pinged every interval, a busy one (frames at least that often) never."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            due = now + interval_s
            for hub in list(self._hubs.values()):
                hub_due = hub.written_at + interval_s
                # Timers fire a little early or late: a hub within a tick of its due is pinged now
                # rather than after one more short sleep.
                if hub_due <= now + KEEPALIVE_SLACK_S:
                    hub.ping()
                    hub_due = hub.written_at + interval_s
                due = min(due, hub_due)
            await asyncio.sleep(max(due - loop.time(), KEEPALIVE_SLACK_S))

    def watch(self, watcher: StreamWatcher) -> None:
        """Hand ``watcher`` every entry the hubs read from now on (before viewers get it)."""
        self._watchers.append(watcher)

    async def hub(self, show_id: str) -> ShowHub:
        """The running hub of ``show_id``, started if needed."""
        hub = self._hubs.get(show_id)
        if hub is not None:
            return hub
        async with self._lock:
            hub = self._hubs.get(show_id)
            if hub is None:
                hub = ShowHub(self._redis, show_id, self.gap_seen.set, self._watchers)
                await hub.start()
                self._hubs[show_id] = hub
            return hub

    async def recover(self, snapshot: Snapshot) -> None:
        """Restart every hub whose show lost its history (see ``ShowHub.history_lost``)."""
        async with self._lock:
            for hub in list(self._hubs.values()):
                if await hub.history_lost():
                    await hub.restart(snapshot)

    def hubs(self) -> list[ShowHub]:
        """Every running hub of this process."""
        return list(self._hubs.values())

    def viewer_counts(self) -> dict[str, int]:
        """Viewers connected to this process, per show."""
        return {show_id: len(hub.audience) for show_id, hub in self._hubs.items()}

    async def close(self) -> None:
        """Stop the keepalive and every hub."""
        if self._keepalive is not None:
            self._keepalive.cancel()
            await asyncio.gather(self._keepalive, return_exceptions=True)
        for hub in self._hubs.values():
            await hub.stop()
        self._hubs.clear()
