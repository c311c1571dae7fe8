"""Posting chat messages and reactions: validate, then one Lua step each (limits + store)."""

from __future__ import annotations

import asyncio
from typing import cast

from redis.asyncio import Redis

from livebuy import metrics
from livebuy.chat.chat_scripts import REACTION_RATE_LIMITED, ChatLimits, ChatScripts
from livebuy.chat.models import Author, ChatMessage
from livebuy.chat.text import clean_text, mask_blocked
from livebuy.errors import (
    UnknownReactionError,
)
from livebuy.redis import keys
from livebuy.sessions.models import Session
from livebuy.settings import Settings


class ChatService:
    """Posts messages and reactions for viewers on any gateway process."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._settings = settings
        self._scripts = ChatScripts(redis)
        # A flood must not take every connection of the process's shared Redis pool (callers
        # past its size wait): chat queues here instead, so cues and checkout keep theirs.
        self._redis_slots = asyncio.Semaphore(settings.chat.chat_redis_concurrency)

    async def blocked_words(self, show_id: str) -> set[str]:
        """Words masked in the show: the configured ones and the producer's list for the show."""
        show_words = cast(set[str], await self._redis.smembers(keys.chat_blocked_words(show_id)))
        return set(self._settings.chat.chat_blocked_words) | show_words

    async def post(self, show_id: str, session: Session, text: str) -> ChatMessage:
        """Store one message for the show's batcher to publish; the stored message is returned.

        Raises:
            ChatTextError: empty, too long, or control characters (nothing is stored).
            BannedError, MutedError: the session may not chat in this show now.
            SlowModeError, RateLimitedError: too soon; ``retry_after_ms`` says how long to wait.
        """
        text = clean_text(text, self._settings.chat.chat_max_chars)
        async with self._redis_slots:
            return await self._store(show_id, session, text)

    async def _store(self, show_id: str, session: Session, text: str) -> ChatMessage:
        text = mask_blocked(text, await self.blocked_words(show_id))
        settings = self._settings
        limits = ChatLimits(
            burst=settings.chat.chat_burst,
            refill_ms=settings.chat.chat_refill_ms,
            history_maxlen=settings.chat.chat_history_maxlen,
        )
        outcome = await self._scripts.post(show_id, session, text, limits)
        metrics.CHAT_POSTS.labels(outcome.code).inc()
        if outcome.code != "ok":
            raise outcome.error()
        return ChatMessage(
            id=outcome.message_id,
            author=Author(
                handle=session.handle, display_name=session.display_name, role=session.role
            ),
            text=text,
            at=outcome.at,
        )

    async def react(self, show_id: str, session: Session, kind: str) -> None:
        """Count one reaction for the show's next ``reactions`` frame.

        Raises:
            UnknownReactionError: ``kind`` is not one of the configured kinds.
            BannedError: the session is banned in this show.
            RateLimitedError: over the per-session cap; ``retry_after_ms`` says how long to wait.
        """
        kinds = self._settings.chat.reaction_kinds
        if kind not in kinds:
            raise UnknownReactionError(
                f"unknown reaction '{kind[:40]}'; one of: {', '.join(kinds)}", kinds=kinds
            )
        async with self._redis_slots:
            outcome = await self._scripts.react(
                show_id, session, kind, self._settings.chat.reactions_per_s
            )
        metrics.REACTIONS.labels(outcome.code).inc()
        if outcome.code != "ok":
            raise outcome.error(REACTION_RATE_LIMITED)
