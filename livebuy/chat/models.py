"""Chat messages and the moderation requests at the HTTP edge."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from livebuy.sessions.models import Role

# A chat message id is its Redis stream entry id, ``<ms>-<seq>``; 19 digits always fit Redis'
# 64-bit parts, so a well-formed id never makes Redis refuse the command.
MESSAGE_ID_PATTERN = r"^[0-9]{1,19}-[0-9]{1,19}$"
MessageId = Annotated[str, Field(pattern=MESSAGE_ID_PATTERN, examples=["1763928000000-0"])]

# A producer may restrict a session for at most 30 days at a time.
MAX_RESTRICTION_MS = 30 * 24 * 3600 * 1000


class Author(BaseModel):
    """Who wrote a message, as every viewer sees it: the public handle, never the session id."""

    handle: str
    display_name: str
    role: Role


class ChatMessage(BaseModel):
    """One stored chat message; ``id`` is its Redis stream entry id, ``at`` ms since the epoch."""

    id: str
    author: Author
    text: str
    at: int

    @property
    def is_staff(self) -> bool:
        """Host and moderator messages are never dropped from a sampled batch."""
        return self.author.role != "viewer"

    @classmethod
    def from_entry(cls, entry_id: str, fields: dict[str, str]) -> ChatMessage:
        """The message stored as one entry of the show's chat stream."""
        return cls(
            id=entry_id,
            author=Author(
                # Entries stored before handles existed have none; their authors stay anonymous.
                handle=fields.get("handle", ""),
                display_name=fields["name"],
                role=fields["role"],
            ),
            text=fields["text"],
            at=int(fields["at"]),
        )

    def to_frame(self) -> dict[str, Any]:
        """The message as it appears in frames and snapshots."""
        return self.model_dump(mode="json")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RestrictionRequest(_Request):
    """Mute or ban the session with this public ``handle`` (from chat frames) for ``duration_ms``."""

    handle: str = Field(min_length=1, max_length=64)
    duration_ms: int = Field(ge=1000, le=MAX_RESTRICTION_MS)
    reason: str | None = Field(None, max_length=200)


class SlowModeRequest(_Request):
    """Slow mode: viewers may post one message per ``interval_ms``; 0 turns it off."""

    interval_ms: int = Field(ge=0, le=3_600_000)


class PinRequest(_Request):
    """Pin one chat message of the show."""

    message_id: MessageId


class BlockedWordsRequest(_Request):
    """The show's blocked words (replaces the previous list; the configured ones always apply)."""

    words: list[str] = Field(max_length=500)


class StaffSessionRequest(_Request):
    """A host or moderator session, created by the producer."""

    display_name: str = Field(min_length=1, max_length=40)
    role: Role = "moderator"


class ModerationAction(BaseModel):
    """One entry of a show's moderation log."""

    id: str
    action: str
    target: str | None
    by: str
    at: int
    details: dict[str, Any]
