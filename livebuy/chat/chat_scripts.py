"""Typed calls of ``chat_post.lua`` and ``reaction_add.lua``: keys and arguments by name.

A refusal (``{code, retry_after_ms}``) becomes its error through ``SCRIPT_REFUSALS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from livebuy.errors import refusal
from livebuy.redis import keys
from livebuy.redis.scripts import register
from livebuy.sessions.models import Session

# Per-minute analytics counters are kept this long after a show's last message or reaction.
ANALYTICS_TTL_MS = 7 * 24 * 3600 * 1000

_MESSAGES = {
    "banned": "you are banned from this show's chat",
    "muted": "you are muted in this show's chat",
    "slow_mode": "slow mode: wait before posting again",
    "rate_limited": "too many messages: wait before posting again",
}
REACTION_RATE_LIMITED = "too many reactions: wait before reacting again"


@dataclass(frozen=True)
class Outcome:
    """``ok`` (with the stored message's id and time for a post) or a refusal code.

    A refused step changes nothing; ``retry_after_ms`` says when trying again can succeed.
    """

    code: str
    message_id: str = ""
    at: int = 0
    retry_after_ms: int = 0

    def error(self, rate_message: str = _MESSAGES["rate_limited"]) -> Exception:
        """The error of a refusal (``rate_message`` words a rate limit)."""
        message = rate_message if self.code == "rate_limited" else _MESSAGES[self.code]
        return refusal(self.code, message, retry_after_ms=self.retry_after_ms)


@dataclass(frozen=True)
class ChatLimits:
    """The per-session token bucket and the show's chat history bound."""

    burst: int
    refill_ms: int
    history_maxlen: int


class ChatScripts:
    """The two viewer-facing chat scripts, called by name."""

    def __init__(self, redis: Redis) -> None:
        self._post = register(redis, "livebuy.chat", "chat_post")
        self._react = register(redis, "livebuy.chat", "reaction_add")

    async def post(self, show_id: str, session: Session, text: str, limits: ChatLimits) -> Outcome:
        """Check the session's limits and store ``text`` (``banned``, ``muted``, ``slow_mode``
        and ``rate_limited`` store nothing)."""
        raw = await self._post(
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
                limits.burst,
                limits.refill_ms,
                limits.history_maxlen,
                ANALYTICS_TTL_MS,
                session.handle,
                session.display_name,
                session.role,
                text,
            ],
        )
        outcome = cast(list[Any], raw)
        if outcome[0] != "ok":
            return Outcome(code=str(outcome[0]), retry_after_ms=int(outcome[1]))
        return Outcome(code="ok", message_id=str(outcome[1]), at=int(outcome[2]))

    async def react(self, show_id: str, session: Session, kind: str, per_s: int) -> Outcome:
        """Count one reaction of ``kind`` (``banned`` and ``rate_limited`` count nothing)."""
        raw = await self._react(
            keys=[
                keys.reaction_rate(show_id, session.session_id),
                keys.chat_ban(show_id, session.handle),
                keys.reactions_pending(show_id),
                keys.reactions_totals(show_id),
                keys.analytics_reactions_per_minute(show_id),
            ],
            args=[kind, per_s, ANALYTICS_TTL_MS],
        )
        outcome = cast(list[Any], raw)
        if outcome[0] != "ok":
            return Outcome(code=str(outcome[0]), retry_after_ms=int(outcome[1]))
        return Outcome(code="ok")
