"""One elected process per show turns posted chat and counted reactions into show events.

Each tick (``chat_batch_interval_ms``) the lease holder reads the chat posted since its cursor
and appends ONE ``chat`` event to the show stream (so it gets a seq, every process fans it out,
and resume replays it); every ``reaction_interval_ms`` it appends ONE ``reactions`` event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from livebuy import metrics
from livebuy.background import ElectedLoop, LoopRegistry
from livebuy.chat.history import Entries
from livebuy.chat.models import ChatMessage
from livebuy.chat.sampling import ChatSampler
from livebuy.clock import now_ms
from livebuy.events.models import ChatEvent, ReactionsEvent
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.redis.scripts import LuaScript, NoArgs
from livebuy.settings import Settings


@dataclass(frozen=True)
class FlushKeys:
    """KEYS of ``reaction_flush.lua``."""

    pending: str
    totals: str


REACTION_FLUSH = LuaScript("livebuy.chat", "reaction_flush", FlushKeys, NoArgs)

log = logging.getLogger(__name__)

# Messages read per tick; a backlog larger than this is worked off over the next ticks.
READ_COUNT = 5000


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
        self._reaction_interval_ms = settings.chat.reaction_interval_ms
        self._sampler = ChatSampler(settings.chat.chat_readable_per_s)
        self._flush_reactions = REACTION_FLUSH.bind(redis)
        self._reactions_due_ms = 0
        self.loop = ElectedLoop(
            f"chat:{show_id}",
            Lease(redis, keys.chat_batcher_lease(show_id), settings.chat.chat_lease_ms),
            lambda: self.tick(now_ms()),
            settings.chat.chat_batch_interval_ms / 1000,
        )

    async def tick(self, now: int) -> None:
        """Publish what arrived since the last tick (called while this process holds the lease)."""
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
        appended = now_ms()
        for message in messages:
            metrics.CHAT_POST_TO_BATCH.observe(max(0, appended - message.at) / 1000)
        metrics.CHAT_SAMPLED_OUT.inc(len(messages) - len(shown))

    async def publish_reactions(self, now: int) -> None:
        """Append one ``reactions`` event with this interval's counts and the show's totals."""
        result = cast(
            list[list[str]],
            await self._flush_reactions(
                FlushKeys(
                    pending=keys.reactions_pending(self.show_id),
                    totals=keys.reactions_totals(self.show_id),
                ),
                NoArgs(),
            ),
        )
        counts, totals = _pairs(result[0]), _pairs(result[1])
        if not counts:
            return
        event = ReactionsEvent(counts=counts, totals=totals, interval_ms=self._reaction_interval_ms)
        await self._stream.append(self.show_id, now, event)


class BatcherRegistry:
    """Starts this process's chat batcher candidate for each show that has viewers here.

    Every process with viewers of a show runs a candidate; the lease lets exactly one publish.
    The loops are the process's background loops: they stop with the others at shutdown.
    """

    def __init__(
        self, redis: Redis, stream: ShowStream, settings: Settings, loops: LoopRegistry
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._settings = settings
        self._loops = loops

    def ensure(self, show_id: str) -> None:
        """Start this process's batcher candidate for ``show_id`` if it is not running."""
        if f"chat:{show_id}" in self._loops:
            return
        self._loops.add(ChatBatcher(self._redis, self._stream, self._settings, show_id).loop)
