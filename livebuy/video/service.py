"""This process's part in the live video: an encoder candidate per show, and the shared stream.

Every process serves every show's stream from Redis (``SharedStream``), whichever process encodes
it; ffmpeg runs only where ``EncoderRunner`` holds the show's video lease.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from livebuy.background import LoopRegistry
from livebuy.clock import Clock, now_ms
from livebuy.errors import NotFoundError
from livebuy.redis.connection import connect
from livebuy.video.encoder import Encoder
from livebuy.video.runner import EncoderRunner
from livebuy.video.shared import SharedStream

log = logging.getLogger(__name__)

# How long start-up waits for this process's first segment (the demo shows video at once).
FIRST_SEGMENT_TIMEOUT_S = 10.0
# Segment reads are few per process (each segment is read once, then cached).
BINARY_CONNECTIONS = 16


class LiveVideo:
    """The live video of this process: ``start(show_ids)``, then answer the HLS routes.

    ``redis_url`` holds the lease and the segments (one Lua script fences both, so they share one
    Redis); it may be a Redis without AOF, since a lost segment is simply not replayed.
    """

    def __init__(
        self,
        redis_url: str,
        directory: Path,
        *,
        segment_ms: int = 1000,
        lease_ms: int = 5000,
        ffmpeg: str = "ffmpeg",
        clock: Clock = now_ms,
        cluster: bool = False,
    ) -> None:
        self.directory = directory
        self.segment_ms = segment_ms
        self.lease_ms = lease_ms
        # Its own clients: the video may live in a Redis of its own (LIVEBUY_VIDEO_REDIS_URL).
        self._redis = connect(redis_url, cluster=cluster)
        self._binary = connect(
            redis_url, cluster=cluster, decode=False, max_connections=BINARY_CONNECTIONS
        )
        self._ffmpeg = shutil.which(ffmpeg)
        self._clock = clock
        self._streams: dict[str, SharedStream] = {}
        self._runners: dict[str, EncoderRunner] = {}
        self._own_loops: LoopRegistry | None = None
        self._show_ids: list[str] = []
        self.unavailable_reason: str | None = (
            None if self._ffmpeg is not None else "ffmpeg is not installed (apt-get install ffmpeg)"
        )

    async def start(self, show_ids: list[str], loops: LoopRegistry | None = None) -> None:
        """Run an encoder candidate per show in ``loops`` (unless ffmpeg is missing: this process
        then only serves what others encode); wait, bounded, for the first segment of those it
        won. The loops stop (ffmpeg first, then the lease) with the process's other loops; without
        ``loops``, in a registry of this object's own that ``stop`` stops."""
        self._show_ids = list(show_ids)
        if loops is None:
            loops = self._own_loops = LoopRegistry()
            loops.start()
        if self._ffmpeg is None:
            log.warning("live video: not encoding here", extra={"reason": self.unavailable_reason})
            return
        ffmpeg = self._ffmpeg
        for show_id in show_ids:
            runner = EncoderRunner(
                self._redis,
                self.stream(show_id),
                lambda directory: Encoder(
                    ffmpeg, directory, segment_ms=self.segment_ms, clock=self._clock
                ),
                self.directory,
                lease_ms=self.lease_ms,
                tick_ms=min(self.segment_ms // 4, self.lease_ms // 6),
                clock=self._clock,
            )
            self._runners[show_id] = runner
            loops.add(runner.loop)
        try:
            async with asyncio.timeout(FIRST_SEGMENT_TIMEOUT_S):
                for runner in self._runners.values():
                    await runner.decided.wait()
                    if runner.encoding:
                        await runner.published.wait()
        except TimeoutError:
            log.warning("live video: no first segment yet, serving on without waiting")

    async def stop(self) -> None:
        """Close the Redis clients (after the loops of ``start`` stopped)."""
        if self._own_loops is not None:
            await self._own_loops.stop()
        await self._binary.aclose()
        await self._redis.aclose()

    def knows(self, show_id: str) -> bool:
        """The show's stream was already looked at here (so the show exists)."""
        return show_id in self._streams

    def stream(self, show_id: str) -> SharedStream:
        """The shared stream of ``show_id`` (callers check that the show exists)."""
        stream = self._streams.get(show_id)
        if stream is None:
            stream = SharedStream(
                self._redis,
                self._binary,
                show_id,
                segment_ms=self.segment_ms,
                lease_ms=self.lease_ms,
                refresh_ms=max(self.segment_ms // 4, 50),
            )
            self._streams[show_id] = stream
        return stream

    async def playlist(self, show_id: str) -> str:
        """The show's live playlist.

        Raises:
            NotFoundError: nothing published yet, with the reason when this process cannot encode.
        """
        try:
            return await self.stream(show_id).playlist()
        except NotFoundError as error:
            if self.unavailable_reason is not None:
                raise NotFoundError(f"live video unavailable: {self.unavailable_reason}") from error
            raise

    async def segment(self, show_id: str, name: str) -> bytes:
        """The bytes of one listed segment (``NotFoundError`` otherwise)."""
        return await self.stream(show_id).segment(name)

    async def status(self, show_id: str) -> dict[str, Any]:
        """Who encodes the show and how fresh the shared stream is, as this process sees it.

        ``state``: ``encoding`` (ffmpeg runs here), ``following`` (another process encodes and
        the stream is fresh), ``stale`` (no new segment for longer than a failover takes),
        ``starting`` (nothing published yet).
        """
        runner = self._runners.get(show_id)
        encoder = None if runner is None else runner.encoder
        entries = await self.stream(show_id).entries()
        latest = entries[-1] if entries else None
        lag_ms = None
        if latest is not None:
            lag_ms = self._clock() - latest.date_ms - self.segment_ms
        if latest is None or lag_ms is None:
            state = "starting"
        elif lag_ms > self.lease_ms + 4 * self.segment_ms + 2000:
            state = "stale"
        else:
            state = "encoding" if encoder is not None else "following"
        return {
            "show_id": show_id,
            "state": state,
            "pid": os.getpid(),
            "encoding": encoder is not None,
            "ffmpeg_pid": None if encoder is None else encoder.pid,
            "generation": None if runner is None or encoder is None else runner.generation,
            "media_sequence": entries[0].number if entries else None,
            "latest_segment": None if latest is None else latest.number,
            "lag_ms": lag_ms,
            "unavailable": self.unavailable_reason,
        }

    async def summary(self) -> str:
        """One word for readiness: the worst ``status`` state over the loaded shows (``encoding``
        wins over ``following``); ``unreachable`` when Redis does not answer."""
        states: list[str] = []
        try:
            for show_id in self._show_ids:
                states.append((await self.status(show_id))["state"])
        except RedisError:
            return "unreachable"
        for state in ("stale", "starting", "encoding", "following"):
            if state in states:
                return state
        return "idle"
