"""Session models at the HTTP edge."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["viewer", "host", "moderator"]


class SessionRequest(BaseModel):
    """Body of ``POST /api/sessions``; without a name one is generated."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, min_length=1, max_length=40)


class Session(BaseModel):
    """A viewer session as the services see it.

    ``session_id`` is private (the token signs it); ``handle`` is the public name of the session in
    chat and moderation, random and unrelated to the id, so seeing it grants nothing.
    """

    session_id: str
    handle: str
    display_name: str
    role: Role = "viewer"
    created_at: int


class IssuedSession(Session):
    """A new session with its token (shown once, to its owner)."""

    token: str
