"""Elects one encoder per show across processes: the video lease holder runs ffmpeg and publishes.

Every process with the video on runs a candidate per show. The holder starts an ``Encoder`` and
publishes each finished segment to the ``SharedStream``; when it loses the lease (it stalled, or
Redis said so through the fenced publish) it stops its ffmpeg at once. When it dies, its lease
expires and another candidate starts a new encoder run (a new ``generation``): the stream's media
sequence continues and the new run's first segment is marked as a discontinuity.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from pathlib import Path

from redis.asyncio import Redis

from livebuy.background import ElectedLoop, LeaseLost, StepAside
from livebuy.clock import Clock, now_ms
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.video.encoder import Encoder
from livebuy.video.shared import SharedStream

log = logging.getLogger(__name__)

EncoderFactory = Callable[[Path], Encoder]


class EncoderRunner:
    """One show's encoder candidate in this process."""

    def __init__(
        self,
        redis: Redis,
        stream: SharedStream,
        make_encoder: EncoderFactory,
        directory: Path,
        *,
        lease_ms: int,
        tick_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self.show_id = stream.show_id
        self.encoder: Encoder | None = None
        self.generation: str | None = None
        self.published = asyncio.Event()
        self._stream = stream
        self._make_encoder = make_encoder
        self._directory = directory
        self._lease = Lease(redis, keys.video_lease(self.show_id), lease_ms)
        self._lease_ms = lease_ms
        self._next_local = 0
        # Losing the lease, and stopping, stop ffmpeg first: the lease is released only after,
        # so a successor's encoder never runs beside ours.
        self.loop = ElectedLoop(
            f"video:{self.show_id}",
            self._lease,
            self.tick,
            tick_ms / 1000,
            on_lost=self._stop_encoder,
            on_stop=self._stop_encoder,
            clock=clock,
        )

    @property
    def encoding(self) -> bool:
        """This process holds the lease and runs the show's ffmpeg."""
        return self.encoder is not None

    @property
    def decided(self) -> asyncio.Event:
        """Set once the first attempt to take the lease is over (won, lost or failed)."""
        return self.loop.passed

    async def tick(self) -> None:
        """While holding the lease: (re)start ffmpeg and publish its finished segments."""
        if self.encoder is not None and self.encoder.exited:
            reason = await self.encoder.exit_reason()
            log.error("ffmpeg exited", extra={"show_id": self.show_id, "reason": reason})
            await self._stop_encoder()
            # Step aside for a while: another process (maybe with a working ffmpeg) may take over.
            raise StepAside(self._lease_ms)
        if self.encoder is None:
            await self._start_encoder()
        await self._publish_finished()

    async def _start_encoder(self) -> None:
        self.generation = secrets.token_hex(6)
        encoder = self._make_encoder(self._directory / f"{self.show_id}-{self.generation}")
        await encoder.start()
        self.encoder = encoder
        self._next_local = 0
        log.info(
            "video encoder elected",
            extra={"show_id": self.show_id, "generation": self.generation, "pid": encoder.pid},
        )

    async def _publish_finished(self) -> None:
        encoder, generation = self.encoder, self.generation
        assert encoder is not None and generation is not None
        for segment in await encoder.finished_segments():
            if segment.number < self._next_local:
                continue
            data = await encoder.read_segment(segment)
            if data is not None:
                date_ms = encoder.epoch_ms + segment.number * encoder.segment_ms
                number = await self._stream.publish(
                    self._lease.owner, generation, segment.duration, date_ms, data
                )
                if number == 0:
                    # Redis refused the fenced publish: the loop stops ffmpeg.
                    raise LeaseLost
                self.published.set()
            self._next_local = segment.number + 1

    async def _stop_encoder(self) -> None:
        encoder, self.encoder = self.encoder, None
        if encoder is not None:
            await encoder.stop()
