"""Producer chat moderation (bearer producer token): mutes, bans, deletes, pins, slow mode.

``X-Moderator: <name>`` names who acts, for the moderation log (default ``producer``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel

from livebuy.api.auth import ProducerDep
from livebuy.api.deps import ServicesDep, SessionsDep
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
from livebuy.services import Services
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


async def _moderation(services: Services, show_id: str) -> ModerationService:
    # An unknown show is a 404 before any moderation key is touched.
    await services.shows.get(show_id)
    return services.moderation


@router.post("/staff-sessions", status_code=201)
async def create_staff_session(
    sessions: SessionsDep, body: StaffSessionRequest, _: ProducerDep
) -> IssuedSession:
    """A host or moderator session: never sampled out, exempt from slow mode."""
    return await sessions.create(body.display_name, role=body.role)


@router.post("/shows/{show_id}/chat/{kind}", status_code=204)
async def restrict(
    services: ServicesDep,
    show_id: str,
    kind: Restriction,
    body: RestrictionRequest,
    _: ProducerDep,
    by: ModeratorHeader = "producer",
) -> None:
    """Mute (no chat) or ban (no chat, no reactions) a chat author's ``handle`` for a while."""
    service = await _moderation(services, show_id)
    await service.restrict(show_id, kind[:-1], body.handle, body.duration_ms, by, body.reason)


@router.delete("/shows/{show_id}/chat/messages/{message_id}")
async def delete_message(
    services: ServicesDep,
    show_id: str,
    message_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN, examples=["1763928000000-0"])],
    _: ProducerDep,
    by: ModeratorHeader = "producer",
) -> Published:
    """Delete a message: gone from history, every viewer gets ``chat_delete``; unknown: 404."""
    service = await _moderation(services, show_id)
    return Published(seq=await service.delete_message(show_id, message_id, by))


@router.delete("/shows/{show_id}/chat/{kind}/{handle}", status_code=204)
async def lift(
    services: ServicesDep,
    show_id: str,
    kind: Restriction,
    handle: str,
    _: ProducerDep,
    by: ModeratorHeader = "producer",
) -> None:
    """End a mute or ban now."""
    service = await _moderation(services, show_id)
    await service.lift(show_id, kind[:-1], handle, by)


@router.put("/shows/{show_id}/chat/pin")
async def pin(
    services: ServicesDep,
    show_id: str,
    body: PinRequest,
    _: ProducerDep,
    by: ModeratorHeader = "producer",
) -> Published:
    """Pin a message (``chat_pin``; in every snapshot until unpinned)."""
    service = await _moderation(services, show_id)
    return Published(seq=await service.pin(show_id, body.message_id, by))


@router.delete("/shows/{show_id}/chat/pin")
async def unpin(
    services: ServicesDep, show_id: str, _: ProducerDep, by: ModeratorHeader = "producer"
) -> Published:
    """Unpin the pinned message (``chat_pin`` with ``message: null``)."""
    service = await _moderation(services, show_id)
    return Published(seq=await service.unpin(show_id, by))


@router.put("/shows/{show_id}/chat/slow-mode")
async def slow_mode(
    services: ServicesDep,
    show_id: str,
    body: SlowModeRequest,
    _: ProducerDep,
    by: ModeratorHeader = "producer",
) -> Published:
    """Viewers may post once per ``interval_ms`` (0: off); staff are exempt (``chat_mode``)."""
    service = await _moderation(services, show_id)
    return Published(seq=await service.set_slow_mode(show_id, body.interval_ms, by))


@router.put("/shows/{show_id}/chat/blocked-words")
async def set_blocked_words(
    services: ServicesDep,
    show_id: str,
    body: BlockedWordsRequest,
    _: ProducerDep,
    by: ModeratorHeader = "producer",
) -> BlockedWords:
    """Replace the show's blocked words; they are masked (``****``) in later messages."""
    service = await _moderation(services, show_id)
    words = await service.set_blocked_words(show_id, body.words, by)
    return BlockedWords(words=words, configured=services.settings.chat.chat_blocked_words)


@router.get("/shows/{show_id}/chat/blocked-words")
async def get_blocked_words(services: ServicesDep, show_id: str, _: ProducerDep) -> BlockedWords:
    """The show's blocked words and the configured ones."""
    service = await _moderation(services, show_id)
    words = await service.blocked_words(show_id)
    return BlockedWords(words=words, configured=services.settings.chat.chat_blocked_words)


@router.get("/shows/{show_id}/chat/moderation-log")
async def moderation_log(
    services: ServicesDep,
    show_id: str,
    _: ProducerDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ModerationAction]:
    """The show's latest moderation actions (who, what, when), newest first."""
    service = await _moderation(services, show_id)
    return await service.history(show_id, limit)
