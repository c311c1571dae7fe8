"""Producer moderation: mute, ban, delete, slow mode, pin, blocked words; every action logged."""

from __future__ import annotations

import logging
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy import metrics
from livebuy.chat.history import get_message
from livebuy.chat.models import ModerationAction
from livebuy.chat.text import normalise_word
from livebuy.clock import now_ms
from livebuy.errors import InvalidInputError, MessageNotFoundError
from livebuy.events.models import ChatDeleteEvent, ChatModeEvent, ChatPinEvent
from livebuy.events.stream import ShowStream
from livebuy.redis import keys

log = logging.getLogger(__name__)

# Moderation log entries kept per show.
LOG_MAXLEN = 10_000


class ModerationService:
    """Applies moderation actions to a show's chat; ``by`` names who acted, for the log."""

    def __init__(self, redis: Redis, stream: ShowStream) -> None:
        self._redis = redis
        self._stream = stream

    async def _log(
        self, show_id: str, action: str, target: str | None, by: str, **details: Any
    ) -> None:
        at = now_ms()
        await self._redis.xadd(
            keys.moderation_log(show_id),
            {
                "action": action,
                "target": target or "",
                "by": by,
                "at": str(at),
                "details": orjson.dumps(details).decode(),
            },
            maxlen=LOG_MAXLEN,
            approximate=True,
        )
        metrics.MODERATION_ACTIONS.labels(action).inc()
        log.info(
            "moderation action",
            extra={"show_id": show_id, "action": action, "target": target, "by": by, **details},
        )

    async def restrict(
        self,
        show_id: str,
        kind: str,
        handle: str,
        duration_ms: int,
        by: str,
        reason: str | None,
    ) -> None:
        """Mute (no chat) or ban (no chat, no reactions) the session with ``handle`` for a while."""
        key = keys.chat_mute if kind == "mute" else keys.chat_ban
        await self._redis.set(key(show_id, handle), by, px=duration_ms)
        await self._log(show_id, kind, handle, by, duration_ms=duration_ms, reason=reason)

    async def lift(self, show_id: str, kind: str, handle: str, by: str) -> None:
        """End a mute or ban early."""
        key = keys.chat_mute if kind == "mute" else keys.chat_ban
        await self._redis.delete(key(show_id, handle))
        await self._log(show_id, f"un{kind}", handle, by)

    async def delete_message(self, show_id: str, message_id: str, by: str) -> int:
        """Remove a message from history and tell every viewer (``chat_delete``); returns its seq.

        Raises:
            MessageNotFoundError: no such message (already deleted, trimmed or never posted).
        """
        message = await get_message(self._redis, show_id, message_id)
        if message is None or not await self._redis.xdel(keys.chat_messages(show_id), message_id):
            raise MessageNotFoundError(f"no message '{message_id}'", message_id=message_id)
        pinned = await self._redis.get(keys.chat_pinned(show_id))
        if pinned is not None and orjson.loads(pinned)["id"] == message_id:
            await self.unpin(show_id, by)
        at = now_ms()
        appended = await self._stream.append(show_id, at, ChatDeleteEvent(id=message_id, by=by))
        await self._log(show_id, "delete", message_id, by, author=message.author.handle)
        return appended.seq

    async def pin(self, show_id: str, message_id: str, by: str) -> int:
        """Pin a message for every viewer (``chat_pin``); returns the event's seq.

        Raises:
            MessageNotFoundError: no such message.
        """
        message = await get_message(self._redis, show_id, message_id)
        if message is None:
            raise MessageNotFoundError(f"no message '{message_id}'", message_id=message_id)
        await self._redis.set(keys.chat_pinned(show_id), orjson.dumps(message.to_frame()))
        event = ChatPinEvent(message=message.to_frame(), by=by)
        appended = await self._stream.append(show_id, now_ms(), event)
        await self._log(show_id, "pin", message_id, by)
        return appended.seq

    async def unpin(self, show_id: str, by: str) -> int:
        """Unpin the pinned message (``chat_pin`` with ``message: null``); returns the seq."""
        await self._redis.delete(keys.chat_pinned(show_id))
        appended = await self._stream.append(show_id, now_ms(), ChatPinEvent(message=None, by=by))
        await self._log(show_id, "unpin", None, by)
        return appended.seq

    async def set_slow_mode(self, show_id: str, interval_ms: int, by: str) -> int:
        """Viewers may post once per ``interval_ms`` (0: off); viewers get ``chat_mode``."""
        if interval_ms:
            await self._redis.set(keys.chat_slow_mode(show_id), interval_ms)
        else:
            await self._redis.delete(keys.chat_slow_mode(show_id))
        event = ChatModeEvent(slow_mode_ms=interval_ms, by=by)
        appended = await self._stream.append(show_id, now_ms(), event)
        await self._log(show_id, "slow_mode", None, by, interval_ms=interval_ms)
        return appended.seq

    async def set_blocked_words(self, show_id: str, words: list[str], by: str) -> list[str]:
        """Replace the show's blocked words (masked in later messages); returns the stored list.

        Raises:
            InvalidInputError: a word is blank or longer than 50 characters.
        """
        cleaned = sorted({normalise_word(word) for word in words})
        if any(not word or len(word) > 50 for word in cleaned):
            raise InvalidInputError("blocked words must be 1-50 characters", field="words")
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.delete(keys.chat_blocked_words(show_id))
            if cleaned:
                await pipe.sadd(keys.chat_blocked_words(show_id), *cleaned)
            await pipe.execute()
        await self._log(show_id, "blocked_words", None, by, words=cleaned)
        return cleaned

    async def blocked_words(self, show_id: str) -> list[str]:
        """The show's own blocked words (the configured ones apply too)."""
        return sorted(cast(set[str], await self._redis.smembers(keys.chat_blocked_words(show_id))))

    async def history(self, show_id: str, count: int) -> list[ModerationAction]:
        """The show's latest moderation actions, newest first."""
        entries = cast(
            list[tuple[str, dict[str, str]]],
            await self._redis.xrevrange(keys.moderation_log(show_id), count=count),
        )
        return [
            ModerationAction(
                id=entry_id,
                action=fields["action"],
                target=fields["target"] or None,
                by=fields["by"],
                at=int(fields["at"]),
                details=orjson.loads(fields["details"]),
            )
            for entry_id, fields in entries
        ]
