"""Producer chat moderation (bearer producer token): mutes, bans, deletes, pins, slow mode.

``X-Moderator: <name>`` names who acts, for the moderation log (default ``producer``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from pydantic import BaseModel

from livebuy.api.auth import ProducerDep
from livebuy.api.deps import ServicesDep, SessionsDep, SettingsDep
from livebuy.chat.models import (
    MESSAGE_ID_PATTERN,
    BlockedWordsRequest,
    ModerationAction,
    PinRequest,
    RestrictionRequest,
    SlowModeRequest,
    StaffSessionRequest,
)
from livebuy.chat.moderation import ModerationService
from livebuy.sessions.models import IssuedSession

router = APIRouter(prefix="/api", tags=["moderation"])

ModeratorHeader = Annotated[str, Header(alias="X-Moderator", min_length=1, max_length=60)]
Restriction = Literal["mutes", "bans"]


class Published(BaseModel):
    """The seq of the show event an action published (``chat_delete``, ``chat_pin``, ...)."""

    seq: int


class BlockedWords(BaseModel):
    """The show's own blocked words (the configured list applies too)."""

    words: list[str]
    configured: list[str]


async def _moderation(services: ServicesDep, show_id: str) -> ModerationService:
    """The moderation service, once the path's show is known to exist (else 404)."""
    await services.shows.get(show_id)
    return services.moderation


# Declared after ``ProducerDep`` in every route: a stranger gets 401 before any show lookup.
ModerationDep = Annotated[ModerationService, Depends(_moderation)]


@router.post("/staff-sessions", status_code=201)
async def create_staff_session(
    sessions: SessionsDep, body: StaffSessionRequest, _: ProducerDep
) -> IssuedSession:
    """A host or moderator session: never sampled out, exempt from slow mode."""
    return await sessions.create(body.display_name, role=body.role)


@router.post("/shows/{show_id}/chat/{kind}", status_code=204)
async def restrict(
    _: ProducerDep,
    moderation: ModerationDep,
    show_id: str,
    kind: Restriction,
    body: RestrictionRequest,
    by: ModeratorHeader = "producer",
) -> None:
    """Mute (no chat) or ban (no chat, no reactions) a chat author's ``handle`` for a while."""
    await moderation.restrict(show_id, kind[:-1], body.handle, body.duration_ms, by, body.reason)


@router.delete("/shows/{show_id}/chat/messages/{message_id}")
async def delete_message(
    _: ProducerDep,
    moderation: ModerationDep,
    show_id: str,
    message_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN, examples=["1763928000000-0"])],
    by: ModeratorHeader = "producer",
) -> Published:
    """Delete a message: gone from history, every viewer gets ``chat_delete``; unknown: 404."""
    return Published(seq=await moderation.delete_message(show_id, message_id, by))


@router.delete("/shows/{show_id}/chat/{kind}/{handle}", status_code=204)
async def lift(
    _: ProducerDep,
    moderation: ModerationDep,
    show_id: str,
    kind: Restriction,
    handle: str,
    by: ModeratorHeader = "producer",
) -> None:
    """End a mute or ban now."""
    await moderation.lift(show_id, kind[:-1], handle, by)


@router.put("/shows/{show_id}/chat/pin")
async def pin(
    _: ProducerDep,
    moderation: ModerationDep,
    show_id: str,
    body: PinRequest,
    by: ModeratorHeader = "producer",
) -> Published:
    """Pin a message (``chat_pin``; in every snapshot until unpinned)."""
    return Published(seq=await moderation.pin(show_id, body.message_id, by))


@router.delete("/shows/{show_id}/chat/pin")
async def unpin(
    _: ProducerDep,
    moderation: ModerationDep,
    show_id: str,
    by: ModeratorHeader = "producer",
) -> Published:
    """Unpin the pinned message (``chat_pin`` with ``message: null``)."""
    return Published(seq=await moderation.unpin(show_id, by))


@router.put("/shows/{show_id}/chat/slow-mode")
async def slow_mode(
    _: ProducerDep,
    moderation: ModerationDep,
    show_id: str,
    body: SlowModeRequest,
    by: ModeratorHeader = "producer",
) -> Published:
    """Viewers may post once per ``interval_ms`` (0: off); staff are exempt (``chat_mode``)."""
    return Published(seq=await moderation.set_slow_mode(show_id, body.interval_ms, by))


@router.put("/shows/{show_id}/chat/blocked-words")
async def set_blocked_words(
    _: ProducerDep,
    moderation: ModerationDep,
    settings: SettingsDep,
    show_id: str,
    body: BlockedWordsRequest,
    by: ModeratorHeader = "producer",
) -> BlockedWords:
    """Replace the show's blocked words; they are masked (``****``) in later messages."""
    words = await moderation.set_blocked_words(show_id, body.words, by)
    return BlockedWords(words=words, configured=settings.chat.chat_blocked_words)


@router.get("/shows/{show_id}/chat/blocked-words")
async def get_blocked_words(
    _: ProducerDep,
    moderation: ModerationDep,
    settings: SettingsDep,
    show_id: str,
) -> BlockedWords:
    """The show's blocked words and the configured ones."""
    words = await moderation.blocked_words(show_id)
    return BlockedWords(words=words, configured=settings.chat.chat_blocked_words)


@router.get("/shows/{show_id}/chat/moderation-log")
async def moderation_log(
    _: ProducerDep,
    moderation: ModerationDep,
    show_id: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ModerationAction]:
    """The show's latest moderation actions (who, what, when), newest first."""
    return await moderation.history(show_id, limit)
