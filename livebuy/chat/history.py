"""Reading a show's chat: recent messages (after deletions), one message, the pinned one."""

from __future__ import annotations

from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.chat.models import ChatMessage
from livebuy.redis import keys

SNAPSHOT_MESSAGES = 50

Entries = list[tuple[str, dict[str, str]]]


async def recent_messages(redis: Redis, show_id: str, count: int) -> list[ChatMessage]:
    """The last ``count`` messages still in the show's chat, oldest first.

    A deleted message is removed from the stream (XDEL), so it is simply not there.
    """
    entries = cast(Entries, await redis.xrevrange(keys.chat_messages(show_id), count=count))
    return [ChatMessage.from_entry(entry_id, fields) for entry_id, fields in reversed(entries)]


async def get_message(redis: Redis, show_id: str, message_id: str) -> ChatMessage | None:
    """One message by id, or None when it was deleted, trimmed or never existed."""
    entries = cast(Entries, await redis.xrange(keys.chat_messages(show_id), message_id, message_id))
    return ChatMessage.from_entry(*entries[0]) if entries else None


async def chat_snapshot(redis: Redis, show_id: str) -> dict[str, Any]:
    """The chat part of a joining viewer's snapshot: recent messages, pinned one, slow mode."""
    async with redis.pipeline(transaction=True) as pipe:
        await pipe.xrevrange(keys.chat_messages(show_id), count=SNAPSHOT_MESSAGES)
        await pipe.get(keys.chat_pinned(show_id))
        await pipe.get(keys.chat_slow_mode(show_id))
        entries, pinned, slow_mode = await pipe.execute()
    messages = [
        ChatMessage.from_entry(entry_id, fields).to_frame()
        for entry_id, fields in reversed(cast(Entries, entries))
    ]
    return {
        "messages": messages,
        "pinned": orjson.loads(pinned) if pinned else None,
        "slow_mode_ms": int(slow_mode or 0),
    }
