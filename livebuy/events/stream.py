"""The show event stream in Redis: one writer step (Lua) and the reads that serve join and resume."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.events.frames import encode_frame
from livebuy.events.models import ShowEvent
from livebuy.events.state import StateOp, split_state
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript


@dataclass(frozen=True)
class AppendKeys:
    """KEYS of ``show_append.lua`` (``dedupe``: see ``dedupe_marker``)."""

    seq: str
    events: str
    state: str
    epoch: str
    dedupe: str


@dataclass(frozen=True)
class AppendArgs:
    """ARGV of ``show_append.lua``."""

    event_type: str
    at: int
    data: str
    state_ops: str
    maxlen: int
    fresh_epoch: str
    dedupe_ttl_ms: int


SHOW_APPEND = LuaScript("livebuy.events", "show_append", AppendKeys, AppendArgs)

# Run-sheet dedupe markers outlive any failover by far, and then go.
DEDUPE_TTL_MS = 24 * 3600 * 1000


def dedupe_marker(show_id: str, dedupe_id: str | None) -> tuple[str, int]:
    """The marker key and its TTL for an append with ``dedupe_id``; without one, a key of the
    show that is never written and a TTL of 0, which the scripts read as "no dedupe".

    Never ``""``: a cluster routes a script by its keys, and ``""`` is in slot 0, not the show's.
    """
    if dedupe_id:
        return keys.show_published(show_id, dedupe_id), DEDUPE_TTL_MS
    return keys.show_published(show_id, ""), 0


@dataclass(frozen=True)
class Appended:
    """Result of an append: the event's seq, and whether this call created it."""

    seq: int
    created: bool


@dataclass(frozen=True)
class StreamPosition:
    """The show's latest seq and history epoch, read together with the state or the history."""

    seq: int
    epoch: str


@dataclass(frozen=True)
class History:
    """Frames after a viewer's last seq, or ``complete=False`` when that history is gone."""

    position: StreamPosition
    frames: list[tuple[int, str]]
    complete: bool


class ShowStream:
    """Appends events to a show's Redis Stream and reads its state and history."""

    def __init__(self, redis: Redis, maxlen: int) -> None:
        self._redis = redis
        self._maxlen = maxlen
        self._append = SHOW_APPEND.bind(redis)

    async def append(
        self,
        show_id: str,
        at_ms: int,
        event: ShowEvent,
        state_ops: list[StateOp] | None = None,
        *,
        dedupe_id: str | None = None,
    ) -> Appended:
        """Append one event; with ``dedupe_id`` a second append of the same id returns the first.

        The event is serialised here, once: every delivery frames the stored text as it is.
        """
        dedupe_key, dedupe_ttl_ms = dedupe_marker(show_id, dedupe_id)
        result = await self._append(
            AppendKeys(
                seq=keys.show_seq(show_id),
                events=keys.show_events(show_id),
                state=keys.show_state(show_id),
                epoch=keys.show_epoch(show_id),
                dedupe=dedupe_key,
            ),
            AppendArgs(
                event_type=event.event_type,
                at=at_ms,
                data=event.data_json(),
                state_ops=orjson.dumps(state_ops or []).decode(),
                maxlen=self._maxlen,
                fresh_epoch=secrets.token_hex(8),
                dedupe_ttl_ms=dedupe_ttl_ms,
            ),
        )
        return Appended(seq=int(result[1]), created=bool(result[0]))

    async def state(self, show_id: str) -> tuple[StreamPosition, dict[str, Any]]:
        """The current state and the seq it reflects, read in one transaction."""
        async with self._redis.pipeline(transaction=True) as pipe:
            # Awaiting a command on a pipeline only queues it (and is what the typing expects).
            await pipe.get(keys.show_seq(show_id))
            await pipe.get(keys.show_epoch(show_id))
            await pipe.hgetall(keys.show_state(show_id))
            seq, epoch, fields = await pipe.execute()
        position = await self._position(show_id, seq, epoch)
        return position, split_state(fields, now_ms())

    async def history(self, show_id: str, since: int, epoch: str | None) -> History:
        """Every frame after ``since``, encoded, if the stream still holds all of them."""
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.get(keys.show_seq(show_id))
            await pipe.get(keys.show_epoch(show_id))
            await pipe.xrange(keys.show_events(show_id), min=f"0-{since + 1}", max="+")
            seq, current_epoch, entries = await pipe.execute()
        position = await self._position(show_id, seq, current_epoch)
        if (epoch is not None and epoch != position.epoch) or since > position.seq:
            return History(position, [], complete=False)
        frames = decode_entries(entries, now_ms())
        expected = list(range(since + 1, position.seq + 1))
        complete = [seq for seq, _ in frames] == expected
        return History(position, frames, complete=complete)

    async def _position(self, show_id: str, seq: str | None, epoch: str | None) -> StreamPosition:
        if epoch is None:
            # Nothing was ever appended: fix the epoch now so the first snapshot names it.
            await self._redis.set(keys.show_epoch(show_id), secrets.token_hex(8), nx=True)
            epoch = cast(str, await self._redis.get(keys.show_epoch(show_id)))
        return StreamPosition(seq=int(seq or 0), epoch=str(epoch))

    async def latest_seq(self, show_id: str) -> int:
        """The last seq assigned in the show (0 before the first event)."""
        return int(await self._redis.get(keys.show_seq(show_id)) or 0)


def decode_entries(entries: list[tuple[str, dict[str, str]]], ts: int) -> list[tuple[int, str]]:
    """Stream entries as ``(seq, frame text)`` sent at ``ts``."""
    frames = []
    for entry_id, fields in entries:
        seq = int(entry_id.partition("-")[2])
        frames.append(
            (seq, encode_frame(fields["type"], seq, int(fields["at"]), ts, fields["data"]))
        )
    return frames
