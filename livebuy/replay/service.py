"""Reads of the recorded runs: the list, the state at a moment, the timeline and the video."""

from __future__ import annotations

import json
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.clock import Clock, now_ms
from livebuy.errors import ReplayNotFoundError
from livebuy.events.state import split_state
from livebuy.redis import keys
from livebuy.replay import state
from livebuy.replay.models import ReplayEntry, ReplayRun, ReplayRuns, ReplayState, ReplayTimeline
from livebuy.replay.runs import run_window
from livebuy.shows.service import ShowService
from livebuy.video.playlist import SEGMENT_NAME, SegmentEntry, render_recording

# A checkpoint is scored by the latest program time of the changes it holds; a cue published
# after it may carry an earlier time (a new player's catch-up, at most player_catch_up_ms late),
# so changes are read from this much before it and picked by seq.
REORDER_MS = 60_000
# A run whose video stopped before its end (the encoder gone for good) is complete after this.
VIDEO_GRACE_MS = 15_000


class ReplayService:
    """The replay API's reads; the video ones need ``video_redis`` (``None``: video is off)."""

    def __init__(
        self,
        redis: Redis,
        shows: ShowService,
        catalog: CatalogStore,
        *,
        video_redis: Redis | None = None,
        video_binary: Redis | None = None,
        segment_ms: int = 1000,
        clock: Clock = now_ms,
    ) -> None:
        self._redis = redis
        self._shows = shows
        self._catalog = catalog
        self._video_redis = video_redis
        self._video_binary = video_binary
        self._segment_ms = segment_ms
        self._clock = clock

    async def runs(self, show_id: str) -> ReplayRuns:
        """The show's recorded runs, newest first.

        Raises:
            ShowNotFoundError: no such show.
        """
        show = await self._shows.get(show_id)
        timeline = await self._shows.timelines.read(show)
        numbers = cast(list[str], await self._redis.zrevrange(keys.replay_runs(show_id), 0, -1))
        now = self._clock()
        runs = []
        for number in numbers:
            start, end = run_window(show, timeline, int(number))
            ended = end is not None and end <= now
            runs.append(ReplayRun(run=int(number), starts_at=start, ends_at=end, ended=ended))
        return ReplayRuns(show_id=show_id, runs=runs)

    async def _window(self, show_id: str, run: int) -> tuple[int, int | None]:
        show = await self._shows.get(show_id)
        if await self._redis.zscore(keys.replay_runs(show_id), str(run)) is None:
            raise ReplayNotFoundError(
                f"show '{show_id}' has no recorded run {run}", show_id=show_id, run=run
            )
        return run_window(show, await self._shows.timelines.read(show), run)

    async def state_at(self, show_id: str, run: int, at: int) -> ReplayState:
        """The state viewers had at program time ``at`` (clamped to the run).

        One checkpoint at or before ``at``, then the few state changes after it: never the
        whole run.

        Raises:
            ShowNotFoundError: no such show.
            ReplayNotFoundError: no such recorded run.
        """
        start, end = await self._window(show_id, run)
        at = max(at, start)
        if end is not None:
            at = min(at, end)
        checkpoints = cast(
            list[str],
            await self._redis.zrevrangebyscore(
                keys.replay_checkpoints(show_id, run), at, "-inf", start=0, num=1
            ),
        )
        if not checkpoints:
            raise ReplayNotFoundError(
                f"show '{show_id}' has no recording of run {run}", show_id=show_id, run=run
            )
        checkpoint = orjson.loads(checkpoints[0])
        fields: dict[str, str] = dict(checkpoint["fields"])
        seq = int(checkpoint["seq"])
        changes = cast(
            list[str],
            await self._redis.zrangebyscore(
                keys.replay_changes(show_id, run), int(checkpoint["at"]) - REORDER_MS, at
            ),
        )
        after = sorted(
            (change for change in map(orjson.loads, changes) if change["seq"] > seq),
            key=lambda change: change["seq"],
        )
        for change in after:
            state.apply(fields, change["ops"])
            seq = change["seq"]
        parts = split_state(fields, at)
        cards = await self._catalog.get_cards([pin["product_id"] for pin in parts["pins"]])
        pinned = [
            {**pin, "product": card.model_dump(mode="json")}
            for pin, card in zip(parts["pins"], cards, strict=True)
        ]
        return ReplayState(
            show_id=show_id,
            run=run,
            at=at,
            seq=seq,
            pinned=pinned,
            deals=parts["deals"],
            countdowns=parts["countdowns"],
            announcement=parts["announcement"],
        )

    async def timeline(self, show_id: str, run: int, offset: int, limit: int) -> ReplayTimeline:
        """``limit`` entries of the run from ``offset``, in program-time order.

        Raises:
            ShowNotFoundError: no such show.
            ReplayNotFoundError: no such recorded run.
        """
        await self._window(show_id, run)
        raw = cast(
            list[str],
            await self._redis.zrange(keys.replay_timeline(show_id, run), offset, offset + limit),
        )
        entries = [ReplayEntry.model_validate_json(member) for member in raw[:limit]]
        return ReplayTimeline(
            show_id=show_id,
            run=run,
            entries=entries,
            next_offset=offset + limit if len(raw) > limit else None,
        )

    def _video(self) -> tuple[Redis, Redis]:
        if self._video_redis is None or self._video_binary is None:
            raise ReplayNotFoundError("video is off (LIVEBUY_VIDEO_ENABLED=false): no recording")
        return self._video_redis, self._video_binary

    async def playlist(self, show_id: str, run: int) -> str:
        """The run's recorded media playlist (``VOD`` with ``EXT-X-ENDLIST`` once it ended).

        Raises:
            ShowNotFoundError: no such show.
            ReplayNotFoundError: the run has no recorded video.
        """
        video, _ = self._video()
        _, end = await self._window(show_id, run)
        raw = cast(list[str], await video.lrange(keys.replay_video_entries(show_id, run), 0, -1))
        entries = [SegmentEntry.from_json(json.loads(text)) for text in raw]
        if not entries:
            raise ReplayNotFoundError(
                f"run {run} of show '{show_id}' has no recorded video", show_id=show_id, run=run
            )
        return render_recording(entries, self._segment_ms, ended=self._ended(entries, end))

    def _ended(self, entries: list[SegmentEntry], end: int | None) -> bool:
        if end is None:
            return False
        last = entries[-1]
        covered = last.date_ms + round(float(last.duration) * 1000) >= end
        return covered or self._clock() > end + VIDEO_GRACE_MS

    async def segment(self, show_id: str, run: int, name: str) -> bytes:
        """The bytes of a recorded segment ``seg<n>.ts``.

        Raises:
            ReplayNotFoundError: not a segment of the run's recording.
        """
        _, binary = self._video()
        match = SEGMENT_NAME.match(name)
        data: Any = None
        if match is not None:
            data = await binary.hget(keys.replay_video_segments(show_id, run), match.group(1))
        if data is None:
            raise ReplayNotFoundError(f"no segment '{name}' in run {run} of show '{show_id}'")
        return cast(bytes, data)
