"""One elected process per show turns posted chat and counted reactions into show events.

Each tick (``chat_batch_interval_ms``) the lease holder reads the chat posted since its cursor
and appends ONE ``chat`` event to the show stream (so it gets a seq, every process fans it out,
and resume replays it); every ``reaction_interval_ms`` it appends ONE ``reactions`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from livebuy import metrics
from livebuy.chat.history import Entries
from livebuy.chat.models import ChatMessage
from livebuy.chat.sampling import ChatSampler
from livebuy.clock import now_ms
from livebuy.events.models import ChatEvent, ReactionsEvent
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.redis.scripts import register
from livebuy.settings import Settings
from livebuy.tasks import raise_if_cancelled

log = logging.getLogger(__name__)

# Messages read per tick; a backlog larger than this is worked off over the next ticks.
READ_COUNT = 5000
# A tick stuck on Redis at shutdown is cancelled after this long.
STOP_TIMEOUT_S = 2.0


def _pairs(flat: list[str]) -> dict[str, int]:
    return {flat[index]: int(flat[index + 1]) for index in range(0, len(flat), 2)}


class ChatBatcher:
    """Batches one show's chat and reactions while this process holds the show's chat lease.

    The cursor (last published message id) lives in Redis and moves after the append, so a new
    leader continues where the old one stopped; a crash between the two repeats at most one
    batch, which clients drop by message id.
    """

    def __init__(self, redis: Redis, stream: ShowStream, settings: Settings, show_id: str) -> None:
        self.show_id = show_id
        self._redis = redis
        self._stream = stream
        self._interval_s = settings.chat_batch_interval_ms / 1000
        self._reaction_interval_ms = settings.reaction_interval_ms
        self._lease = Lease(redis, keys.chat_batcher_lease(show_id), settings.chat_lease_ms)
        self._sampler = ChatSampler(settings.chat_readable_per_s)
        self._flush_reactions = register(redis, "livebuy.chat", "reaction_flush")
        self._reactions_due_ms = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask ``run`` to return after the current tick."""
        self._stopping.set()

    async def run(self) -> None:
        """Tick until stopped; Redis outages are logged and retried, never fatal.

        Shutdown uses ``stop`` rather than task cancellation alone: redis-py may absorb a
        cancellation that lands mid-command, which would leave a cancelled loop running.
        """
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        try:
            while not self._stopping.is_set():
                try:
                    await self.tick(now_ms())
                except RedisError:
                    raise_if_cancelled()
                    log.exception("chat batcher tick failed", extra={"show_id": self.show_id})
                    self._lease.held = False
                # A fixed cadence: time spent publishing does not stretch the interval.
                next_tick = max(next_tick + self._interval_s, loop.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), next_tick - loop.time())
        finally:
            await asyncio.shield(self._lease.release())

    async def tick(self, now: int) -> None:
        """Renew the lease and, while holding it, publish what arrived since the last tick."""
        if not await self._lease.refresh(now):
            return
        await self.publish_chat(now)
        if now >= self._reactions_due_ms:
            self._reactions_due_ms = now + self._reaction_interval_ms
            await self.publish_reactions(now)

    async def publish_chat(self, now: int) -> None:
        """Append one ``chat`` event with the messages posted since the cursor (sampled)."""
        cursor = cast(str | None, await self._redis.get(keys.chat_cursor(self.show_id)))
        entries = cast(
            Entries,
            await self._redis.xrange(
                keys.chat_messages(self.show_id),
                min=f"({cursor}" if cursor else "-",
                max="+",
                count=READ_COUNT,
            ),
        )
        if not entries:
            return
        messages = [ChatMessage.from_entry(entry_id, fields) for entry_id, fields in entries]
        shown = self._sampler.sample(messages, now)
        event = ChatEvent(
            messages=[message.to_frame() for message in shown],
            count=len(messages),
            sampled=len(shown) < len(messages),
        )
        await self._stream.append(self.show_id, now, event)
        await self._redis.set(keys.chat_cursor(self.show_id), entries[-1][0])
        metrics.CHAT_BATCHES.inc()
        metrics.CHAT_SAMPLED_OUT.inc(len(messages) - len(shown))

    async def publish_reactions(self, now: int) -> None:
        """Append one ``reactions`` event with this interval's counts and the show's totals."""
        result = cast(
            list[list[str]],
            await self._flush_reactions(
                keys=[keys.reactions_pending(self.show_id), keys.reactions_totals(self.show_id)]
            ),
        )
        counts, totals = _pairs(result[0]), _pairs(result[1])
        if not counts:
            return
        event = ReactionsEvent(counts=counts, totals=totals, interval_ms=self._reaction_interval_ms)
        await self._stream.append(self.show_id, now, event)


class BatcherRegistry:
    """The chat batchers of this process: one per show that has viewers here, kept until shutdown.

    Every process with viewers of a show runs a candidate; the lease lets exactly one publish.
    """

    def __init__(self, redis: Redis, stream: ShowStream, settings: Settings) -> None:
        self._redis = redis
        self._stream = stream
        self._settings = settings
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._batchers: list[ChatBatcher] = []

    def ensure(self, show_id: str) -> None:
        """Start this process's batcher candidate for ``show_id`` if it is not running."""
        if show_id in self._tasks:
            return
        batcher = ChatBatcher(self._redis, self._stream, self._settings, show_id)
        self._batchers.append(batcher)
        self._tasks[show_id] = asyncio.create_task(batcher.run(), name=f"chat:{show_id}")

    async def close(self) -> None:
        """Stop every batcher (releasing its lease so another process takes over at once)."""
        for batcher in self._batchers:
            batcher.stop()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._batchers.clear()
