"""A hub tells a lost history from a busy one."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.events.frames import encode_frame
from livebuy.events.models import AnnounceEvent
from livebuy.events.stream import ShowStream
from livebuy.gateway.hub import ShowHub

SHOW = "spring-runway"


async def _started_hub(redis: Redis) -> ShowHub:
    hub = ShowHub(redis, SHOW, lambda: None)
    await hub.start()
    return hub


async def test_frames_broadcast_while_the_check_reads_are_not_a_lost_history(
    redis: Redis,
) -> None:
    """A frame broadcast while the check's read is in flight (appended after Redis answered it)
    leaves the hub ahead of the seq it read: that is a busy show, not a seq that went back."""
    stream = ShowStream(redis, maxlen=1000)
    await stream.append(SHOW, now_ms(), AnnounceEvent(cue_id="c", kind="announce", text="one"))
    hub = await _started_hub(redis)
    try:
        checking = asyncio.create_task(hub.history_lost())
        await asyncio.sleep(0)  # the check has sent its read
        seq = hub.position.seq + 1
        hub.broadcast(seq, [encode_frame("cue", seq, now_ms(), now_ms(), '{"text":"two"}')])
        assert not await checking
    finally:
        await hub.stop()


async def test_a_seq_that_went_back_or_a_new_epoch_is_a_lost_history(redis: Redis) -> None:
    """After FLUSHALL and a new append, the hub sees its history gone."""
    stream = ShowStream(redis, maxlen=1000)
    for text in ("one", "two"):
        await stream.append(SHOW, now_ms(), AnnounceEvent(cue_id="c", kind="announce", text=text))
    hub = await _started_hub(redis)
    try:
        assert not await hub.history_lost()
        await redis.flushall()
        await stream.append(SHOW, now_ms(), AnnounceEvent(cue_id="c", kind="announce", text="new"))
        assert await hub.history_lost()
    finally:
        await hub.stop()
