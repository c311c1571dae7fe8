"""Records each run of a show for replay, as it plays: one lease-elected recorder per show.

Every step it reads the show stream after the last seq it recorded and files each cue, chat and
reaction entry under the run its program time falls in (``replay_record.lua``, fenced by the
lease). It keeps the show's state hash as the stream changed it (``state.apply``) and writes a
checkpoint of it at the start of every run and after every ``CHECKPOINT_EVERY`` state changes,
so the state at any moment is one checkpoint plus a few changes. With the video on it also
copies each new live segment into the recording of the run(s) it overlaps
(``replay_segment.lua``), before the live window lets it go.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.background import ElectedLoop, LeaseLost
from livebuy.clock import Clock, now_ms
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.redis.scripts import LuaScript
from livebuy.replay import state
from livebuy.replay.runs import run_of, run_window
from livebuy.shows.models import ShowDefinition
from livebuy.shows.service import ShowService
from livebuy.shows.timeline import Timeline
from livebuy.video.shared import SharedStream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordKeys:
    """KEYS of ``replay_record.lua``: the recorder's, this run's and the run it drops."""

    lease: str
    recorder: str
    runs: str
    timeline: str
    changes: str
    checkpoints: str
    drop_timeline: str
    drop_changes: str
    drop_checkpoints: str


@dataclass(frozen=True)
class RecordArgs:
    """ARGV of ``replay_record.lua`` (``expected``: "" before the first write; ``members``: JSON)."""

    owner: str
    expected: str
    recorder: str
    run: int
    run_start: int
    drop_run: int
    ttl_ms: int
    members: str


@dataclass(frozen=True)
class SegmentKeys:
    """KEYS of ``replay_segment.lua`` (on the video's Redis)."""

    live_segments: str
    last: str
    entries: str
    segments: str
    drop_entries: str
    drop_segments: str


@dataclass(frozen=True)
class SegmentArgs:
    """ARGV of ``replay_segment.lua``."""

    number: int
    generation: str
    duration: str
    date_ms: int
    ttl_ms: int


REPLAY_RECORD = LuaScript("livebuy.replay", "replay_record", RecordKeys, RecordArgs)
REPLAY_SEGMENT = LuaScript("livebuy.replay", "replay_segment", SegmentKeys, SegmentArgs)

# A checkpoint after this many state changes: a seek applies at most this many.
CHECKPOINT_EVERY = 8
# Stream entries read per step.
BATCH = 500
# Entries a replay shows along the video (the rest, e.g. stock, is the live page's business).
TIMELINE_TYPES = frozenset({"cue", "chat", "reactions"})


@dataclass
class _Position:
    """Where the recorder is: last seq recorded, the latest run, the state hash after that seq."""

    seq: int
    run: int | None
    fields: dict[str, str]
    changes: int = 0
    # The seq of the position stored in Redis (``None``: nothing stored yet).
    stored_seq: int | None = None
    max_at: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return orjson.dumps(
            {"seq": self.seq, "run": self.run, "fields": self.fields, "changes": self.changes}
        ).decode()


class ReplayRecorder:
    """One show's replay recorder in this process (register ``loop``)."""

    def __init__(
        self,
        redis: Redis,
        shows: ShowService,
        show: ShowDefinition,
        *,
        runs_kept: int,
        ttl_ms: int,
        interval_ms: int,
        lease_ms: int,
        video: SharedStream | None = None,
        video_redis: Redis | None = None,
        clock: Clock = now_ms,
    ) -> None:
        self.show = show
        self._redis = redis
        self._shows = shows
        self._runs_kept = runs_kept
        self._ttl_ms = ttl_ms
        self._video = video
        self._video_redis = video_redis or redis
        self._lease = Lease(redis, keys.replay_lease(show.id), lease_ms)
        self._record = REPLAY_RECORD.bind(redis)
        self._copy = REPLAY_SEGMENT.bind(self._video_redis)
        self._clock = clock
        self._position: _Position | None = None
        self._last_segment: int | None = None
        self.loop = ElectedLoop(
            f"replay:{show.id}",
            self._lease,
            self.step,
            interval_ms / 1000,
            on_elected=self._forget,
            clock=clock,
        )

    async def _forget(self) -> None:
        # Another process may have recorded meanwhile: read where it got to.
        self._position = None
        self._last_segment = None

    async def step(self) -> None:
        """Record what the show stream and the live video added since the last step."""
        timeline = await self._shows.timelines.read(self.show)
        await self._record_events(timeline)
        if self._video is not None:
            await self._record_segments(timeline)

    async def _load(self) -> _Position:
        raw = await self._redis.get(keys.replay_recorder(self.show.id))
        if raw is not None:
            value = orjson.loads(raw)
            return _Position(
                seq=int(value["seq"]),
                run=value["run"],
                fields=dict(value["fields"]),
                changes=int(value["changes"]),
                stored_seq=int(value["seq"]),
            )
        # First recording of this show: start from the state it has now.
        seq, fields = await self._live_state()
        return _Position(seq=seq, run=None, fields=fields)

    async def _live_state(self) -> tuple[int, dict[str, str]]:
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.get(keys.show_seq(self.show.id))
            await pipe.hgetall(keys.show_state(self.show.id))
            seq, fields = await pipe.execute()
        return int(seq or 0), dict(fields)

    async def _record_events(self, timeline: Timeline) -> None:
        if self._position is None:
            self._position = await self._load()
        position = self._position
        async with self._redis.pipeline(transaction=False) as pipe:
            await pipe.get(keys.show_seq(self.show.id))
            await pipe.xrange(
                keys.show_events(self.show.id), min=f"0-{position.seq + 1}", max="+", count=BATCH
            )
            latest, entries = await pipe.execute()
        entries = cast(list[tuple[str, dict[str, str]]], entries)
        first = int(entries[0][0].partition("-")[2]) if entries else None
        if int(latest or 0) < position.seq or (first is not None and first > position.seq + 1):
            await self._resync(timeline)
            return
        batch: list[list[Any]] = []
        batch_run: int | None = None
        for entry_id, fields in entries:
            seq = int(entry_id.partition("-")[2])
            at = int(fields["at"])
            run = run_of(self.show, timeline, at)
            if run is not None and batch_run is not None and run != batch_run:
                # One script call per run: its keys are that run's.
                await self._write(batch_run, timeline, batch)
                batch, batch_run = [], None
            if run is not None and (position.run is None or run > position.run):
                start, _ = run_window(self.show, timeline, run)
                checkpoint = {"seq": position.seq, "at": start, "fields": position.fields}
                batch.append(["checkpoints", start, orjson.dumps(checkpoint).decode()])
                position.run, position.changes = run, 0
            position.seq = seq
            if run is None:
                continue
            batch_run = run
            entry_type = fields["type"]
            if entry_type in TIMELINE_TYPES:
                member = f'{{"seq":{seq},"type":"{entry_type}","at":{at},"data":{fields["data"]}}}'
                batch.append(["timeline", at, member])
            if entry_type == "cue":
                ops = state.changes_of(orjson.loads(fields["data"]), at)
                if ops:
                    state.apply(position.fields, ops)
                    change = {"seq": seq, "at": at, "ops": ops}
                    batch.append(["changes", at, orjson.dumps(change).decode()])
                    position.changes += 1
                    max_at = position.max_at[run] = max(position.max_at.get(run, at), at)
                    if position.changes % CHECKPOINT_EVERY == 0:
                        checkpoint = {"seq": seq, "at": max_at, "fields": position.fields}
                        batch.append(["checkpoints", max_at, orjson.dumps(checkpoint).decode()])
        if batch_run is not None:
            await self._write(batch_run, timeline, batch)

    async def _resync(self, timeline: Timeline) -> None:
        """The stream lost what the recorder had not read (Redis lost its data, or the recorder
        fell behind the stream's trimming): carry on from the live state, checkpointed now."""
        position = self._position
        assert position is not None
        log.warning(
            "replay: show history lost, recording resumes from the live state",
            extra={"show_id": self.show.id, "recorded_seq": position.seq},
        )
        position.seq, position.fields = await self._live_state()
        now = self._clock()
        run = run_of(self.show, timeline, now)
        if run is None:
            return
        checkpoint = {"seq": position.seq, "at": now, "fields": position.fields}
        position.max_at[run] = max(position.max_at.get(run, now), now)
        position.run = max(run, position.run if position.run is not None else run)
        await self._write(run, timeline, [["checkpoints", now, orjson.dumps(checkpoint).decode()]])

    async def _write(self, run: int, timeline: Timeline, batch: list[list[Any]]) -> None:
        position = self._position
        assert position is not None
        start, _ = run_window(self.show, timeline, run)
        drop = run - self._runs_kept
        show_id = self.show.id
        result = await self._record(
            RecordKeys(
                lease=keys.replay_lease(show_id),
                recorder=keys.replay_recorder(show_id),
                runs=keys.replay_runs(show_id),
                timeline=keys.replay_timeline(show_id, run),
                changes=keys.replay_changes(show_id, run),
                checkpoints=keys.replay_checkpoints(show_id, run),
                drop_timeline=keys.replay_timeline(show_id, drop),
                drop_changes=keys.replay_changes(show_id, drop),
                drop_checkpoints=keys.replay_checkpoints(show_id, drop),
            ),
            RecordArgs(
                owner=self._lease.owner,
                expected="" if position.stored_seq is None else str(position.stored_seq),
                recorder=position.to_json(),
                run=run,
                run_start=start,
                drop_run=drop,
                ttl_ms=self._ttl_ms,
                members=orjson.dumps(batch).decode(),
            ),
        )
        if int(result) == 0:
            raise LeaseLost
        if int(result) < 0:
            # Someone else recorded meanwhile (a lease hand-over): start again from its position.
            self._position = None
            raise LeaseLost
        position.stored_seq = position.seq

    async def _record_segments(self, timeline: Timeline) -> None:
        video = self._video
        assert video is not None
        show_id = self.show.id
        if self._last_segment is None:
            self._last_segment = int(
                await self._video_redis.get(keys.replay_video_last(show_id)) or 0
            )
        for entry in await video.entries(fresh=True):
            if entry.number <= self._last_segment:
                continue
            duration_ms = round(float(entry.duration) * 1000)
            first = run_of(self.show, timeline, entry.date_ms)
            last = run_of(self.show, timeline, entry.date_ms + max(duration_ms - 1, 0))
            runs = sorted({run for run in (first, last) if run is not None})
            for run in runs:
                copied = await self._copy(
                    SegmentKeys(
                        live_segments=keys.video_segments(show_id),
                        last=keys.replay_video_last(show_id),
                        entries=keys.replay_video_entries(show_id, run),
                        segments=keys.replay_video_segments(show_id, run),
                        drop_entries=keys.replay_video_entries(show_id, run - self._runs_kept),
                        drop_segments=keys.replay_video_segments(show_id, run - self._runs_kept),
                    ),
                    SegmentArgs(
                        number=entry.number,
                        generation=entry.generation,
                        duration=entry.duration,
                        date_ms=entry.date_ms,
                        ttl_ms=self._ttl_ms,
                    ),
                )
                if int(copied) < 0:
                    log.warning(
                        "replay: a live segment was gone before it was recorded",
                        extra={"show_id": show_id, "segment": entry.number, "run": run},
                    )
            self._last_segment = entry.number
