"""The show's live stream as every process sees it: segments and entries kept in Redis.

The elected encoder publishes each finished segment with ``video_publish.lua`` (fenced by the
lease); every process answers viewers from here. Each process reads a segment from Redis once and
keeps the last few in memory, and re-reads the entries at most every ``refresh_ms``, so Redis
traffic grows with processes, not with viewers.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from livebuy.errors import NotFoundError
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript
from livebuy.video.playlist import SEGMENT_NAME, SegmentEntry, render


@dataclass(frozen=True)
class PublishKeys:
    """KEYS of ``video_publish.lua``."""

    lease: str
    sequence: str
    entries: str
    segments: str


@dataclass(frozen=True)
class PublishArgs:
    """ARGV of ``video_publish.lua``."""

    owner: str
    generation: str
    duration: str
    date_ms: int
    data: bytes
    kept: int
    ttl_ms: int


VIDEO_PUBLISH = LuaScript("livebuy.video", "video_publish", PublishKeys, PublishArgs)

# Segments listed in the playlist viewers get.
SEGMENTS_LISTED = 6
# Segments kept in Redis: the listed ones plus as many that just slid out, for viewers that
# fetched the playlist a moment before.
SEGMENTS_KEPT = 2 * SEGMENTS_LISTED


class SharedStream:
    """One show's shared HLS stream: publish (the encoder) and read (every process)."""

    def __init__(
        self,
        redis: Redis,
        binary: Redis,
        show_id: str,
        *,
        segment_ms: int,
        lease_ms: int,
        refresh_ms: int,
    ) -> None:
        """``redis`` decodes replies to ``str``; ``binary`` returns ``bytes`` (segment reads)."""
        self.show_id = show_id
        self.segment_ms = segment_ms
        # Long enough for a failover (lease expiry + ffmpeg start) not to lose the playlist.
        self.ttl_ms = SEGMENTS_KEPT * segment_ms + 2 * lease_ms + 10_000
        self._redis = redis
        self._binary = binary
        self._refresh_s = refresh_ms / 1000
        self._publish = VIDEO_PUBLISH.bind(redis)
        self._entries: list[SegmentEntry] = []
        self._fetched_at = float("-inf")
        self._refreshing: asyncio.Task[list[SegmentEntry]] | None = None
        self._cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._loading: dict[tuple[str, int], asyncio.Task[bytes | None]] = {}

    async def publish(
        self, owner: str, generation: str, duration: str, date_ms: int, data: bytes
    ) -> int:
        """Append one finished segment; returns its media sequence number, 0 without the lease."""
        number = await self._publish(
            PublishKeys(
                lease=keys.video_lease(self.show_id),
                sequence=keys.video_sequence(self.show_id),
                entries=keys.video_entries(self.show_id),
                segments=keys.video_segments(self.show_id),
            ),
            PublishArgs(owner, generation, duration, date_ms, data, SEGMENTS_KEPT, self.ttl_ms),
        )
        return int(number)

    async def entries(self, *, fresh: bool = False) -> list[SegmentEntry]:
        """The kept entries, oldest first; cached for ``refresh_ms`` unless ``fresh``."""
        loop = asyncio.get_running_loop()
        if not fresh and loop.time() - self._fetched_at < self._refresh_s:
            return self._entries
        # Concurrent viewers share one read.
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._read_entries())
        entries = await asyncio.shield(self._refreshing)
        self._entries, self._fetched_at = entries, loop.time()
        return entries

    async def playlist(self) -> str:
        """The live media playlist viewers poll (the newest ``SEGMENTS_LISTED`` segments).

        Raises:
            NotFoundError: nothing published yet (or the stream stopped long ago).
        """
        entries = await self.entries()
        if not entries:
            raise NotFoundError("the live video is starting: no segment yet")
        return render(entries[-SEGMENTS_LISTED:], self.segment_ms)

    async def segment(self, name: str) -> bytes:
        """The bytes of segment ``seg<n>.ts``.

        Raises:
            NotFoundError: not a segment's name, or no longer (or not yet) kept.
        """
        match = SEGMENT_NAME.match(name)
        if match is None:
            raise NotFoundError(f"no video segment '{name}'")
        number = int(match.group(1))
        entry = await self._entry(number)
        if entry is None:
            raise NotFoundError(f"no video segment '{name}'")
        key = (entry.generation, number)
        data = self._cache.get(key)
        if data is None:
            if key not in self._loading:
                self._loading[key] = asyncio.create_task(self._read_segment(key))
            data = await asyncio.shield(self._loading[key])
            if data is None:
                raise NotFoundError(f"no video segment '{name}'")
        return data

    async def _entry(self, number: int) -> SegmentEntry | None:
        entries = await self.entries()
        # A viewer may have its playlist from a process that read Redis a moment later than this
        # one: look again for a number just past ours, never for arbitrary ones (no Redis read
        # per bogus request).
        if entries and entries[-1].number < number <= entries[-1].number + 2:
            entries = await self.entries(fresh=True)
        for entry in entries:
            if entry.number == number:
                return entry
        return None

    async def _read_entries(self) -> list[SegmentEntry]:
        raw = cast(list[str], await self._redis.lrange(keys.video_entries(self.show_id), 0, -1))
        return [SegmentEntry.from_json(json.loads(text)) for text in raw]

    async def _read_segment(self, key: tuple[str, int]) -> bytes | None:
        try:
            data = cast(
                bytes | None,
                await self._binary.hget(keys.video_segments(self.show_id), str(key[1])),
            )
        finally:
            del self._loading[key]
        if data is not None:
            self._cache[key] = data
            while len(self._cache) > SEGMENTS_KEPT:
                self._cache.popitem(last=False)
        return data
