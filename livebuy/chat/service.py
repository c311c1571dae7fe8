"""Posting chat messages and reactions: validate, then one Lua step each (limits + store)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from redis.asyncio import Redis

from livebuy import metrics
from livebuy.chat.models import Author, ChatMessage
from livebuy.chat.text import clean_text, mask_blocked
from livebuy.errors import (
    BannedError,
    ChatError,
    MutedError,
    RateLimitedError,
    SlowModeError,
    UnknownReactionError,
)
from livebuy.redis import keys
from livebuy.redis.scripts import register
from livebuy.sessions.models import Session
from livebuy.settings import Settings

# Per-minute analytics counters are kept this long after a show's last message or reaction.
ANALYTICS_TTL_MS = 7 * 24 * 3600 * 1000

_REFUSALS: dict[str, tuple[type[ChatError], str]] = {
    "banned": (BannedError, "you are banned from this show's chat"),
    "muted": (MutedError, "you are muted in this show's chat"),
    "slow_mode": (SlowModeError, "slow mode: wait before posting again"),
    "rate_limited": (RateLimitedError, "too many messages: wait before posting again"),
}


def _refusal(outcome: str, retry_after_ms: int, what: str = "message") -> ChatError:
    error_type, message = _REFUSALS[outcome]
    if outcome == "rate_limited" and what == "reaction":
        message = "too many reactions: wait before reacting again"
    return error_type(message, retry_after_ms=int(retry_after_ms))


class ChatService:
    """Posts messages and reactions for viewers on any gateway process."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._settings = settings
        self._post = register(redis, "livebuy.chat", "chat_post")
        self._react = register(redis, "livebuy.chat", "reaction_add")
        # A flood must not take every connection of the process's shared Redis pool (callers
        # past its size wait): chat queues here instead, so cues and checkout keep theirs.
        self._redis_slots = asyncio.Semaphore(settings.chat_redis_concurrency)

    async def blocked_words(self, show_id: str) -> set[str]:
        """Words masked in the show: the configured ones and the producer's list for the show."""
        show_words = cast(set[str], await self._redis.smembers(keys.chat_blocked_words(show_id)))
        return set(self._settings.chat_blocked_words) | show_words

    async def post(self, show_id: str, session: Session, text: str) -> ChatMessage:
        """Store one message for the show's batcher to publish; the stored message is returned.

        Raises:
            ChatTextError: empty, too long, or control characters (nothing is stored).
            BannedError, MutedError: the session may not chat in this show now.
            SlowModeError, RateLimitedError: too soon; ``retry_after_ms`` says how long to wait.
        """
        text = clean_text(text, self._settings.chat_max_chars)
        async with self._redis_slots:
            return await self._store(show_id, session, text)

    async def _store(self, show_id: str, session: Session, text: str) -> ChatMessage:
        text = mask_blocked(text, await self.blocked_words(show_id))
        settings = self._settings
        result = await self._post(
            keys=[
                keys.chat_bucket(show_id, session.session_id),
                keys.chat_mute(show_id, session.handle),
                keys.chat_ban(show_id, session.handle),
                keys.chat_slow_mode(show_id),
                keys.chat_slow_last(show_id, session.session_id),
                keys.chat_messages(show_id),
                keys.analytics_chat_per_minute(show_id),
            ],
            args=[
                settings.chat_burst,
                settings.chat_refill_ms,
                settings.chat_history_maxlen,
                ANALYTICS_TTL_MS,
                session.handle,
                session.display_name,
                session.role,
                text,
            ],
        )
        outcome = cast(list[Any], result)
        metrics.CHAT_POSTS.labels(outcome[0]).inc()
        if outcome[0] != "ok":
            raise _refusal(outcome[0], int(outcome[1]))
        return ChatMessage(
            id=outcome[1],
            author=Author(
                handle=session.handle, display_name=session.display_name, role=session.role
            ),
            text=text,
            at=int(outcome[2]),
        )

    async def react(self, show_id: str, session: Session, kind: str) -> None:
        """Count one reaction for the show's next ``reactions`` frame.

        Raises:
            UnknownReactionError: ``kind`` is not one of the configured kinds.
            BannedError: the session is banned in this show.
            RateLimitedError: over the per-session cap; ``retry_after_ms`` says how long to wait.
        """
        kinds = self._settings.reaction_kinds
        if kind not in kinds:
            raise UnknownReactionError(
                f"unknown reaction '{kind[:40]}'; one of: {', '.join(kinds)}", kinds=kinds
            )
        async with self._redis_slots:
            result = await self._react(
                keys=[
                    keys.reaction_rate(show_id, session.session_id),
                    keys.chat_ban(show_id, session.handle),
                    keys.reactions_pending(show_id),
                    keys.reactions_totals(show_id),
                    keys.analytics_reactions_per_minute(show_id),
                ],
                args=[kind, self._settings.reactions_per_s, ANALYTICS_TTL_MS],
            )
        outcome = cast(list[Any], result)
        metrics.REACTIONS.labels(outcome[0]).inc()
        if outcome[0] != "ok":
            raise _refusal(outcome[0], int(outcome[1]), what="reaction")
