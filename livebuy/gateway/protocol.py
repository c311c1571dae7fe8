"""The websocket protocol: client frame models and the close-code table.

Server frames are ``{"type", "seq", "at", "ts", "data"}`` (encoded by ``livebuy.events.frames``). ``seq`` advances only on show events;
control frames (``error``, ``pong``) repeat the last seq the viewer was sent.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator


class CloseCode(IntEnum):
    """Every close code the gateway sends, in one place."""

    NORMAL = 1000
    POLICY = 1008
    TOO_BIG = 1009
    SERVER_ERROR = 1011
    RESTARTING = 1012
    UNAUTHORIZED = 4401
    UNKNOWN_SHOW = 4404
    TOO_SLOW = 4429


# When each code is sent, for clients (docs/protocol.md's table and the AsyncAPI document).
CLOSE_REASONS: dict[CloseCode, str] = {
    CloseCode.NORMAL: "normal closure",
    CloseCode.POLICY: "policy: bad `since` or `role`, or a console's wrong producer token",
    CloseCode.TOO_BIG: "a client frame over 4 KiB",
    CloseCode.SERVER_ERROR: "server error, or Redis unreachable while joining: reconnect",
    CloseCode.RESTARTING: "Redis lost its data: the show is being reloaded, or its history was "
    "lost while this viewer joined; reconnect with `since` and `epoch`",
    CloseCode.UNAUTHORIZED: "authentication required: a bad `?token=`, or a console that did not "
    "send the producer token first",
    CloseCode.UNKNOWN_SHOW: "unknown show (the reason names it)",
    CloseCode.TOO_SLOW: "too slow: the viewer's send queue overflowed; reconnect with `since`",
}

# ``?role=`` of the websocket: who is watching. Consoles get every frame but are not the audience.
VIEWER = "viewer"
CONSOLE = "console"
ROLES = frozenset({VIEWER, CONSOLE})


class _ClientFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PingFrame(_ClientFrame):
    """Application-level ping; answered with ``pong`` (browsers cannot send protocol pings)."""

    type: Literal["ping"]
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _echoable(cls, data: dict[str, Any]) -> dict[str, Any]:
        # The pong echoes ``data``; what the encoder cannot write (integers wider than 64 bits)
        # is refused here, as a malformed frame, rather than failing when the pong is built.
        try:
            orjson.dumps(data)
        except orjson.JSONEncodeError as error:
            raise ValueError("ping data must have integers of at most 64 bits") from error
        return data


class AuthData(_ClientFrame):
    """A viewer session token (from ``POST /api/sessions``)."""

    token: StrictStr = Field(min_length=1, max_length=200)


class AuthFrame(_ClientFrame):
    """Attach a session to the connection (instead of ``?token=``); needed to chat and react."""

    type: Literal["auth"]
    data: AuthData


class ChatData(_ClientFrame):
    """A chat message; its length and characters are checked by the chat service."""

    text: StrictStr


class ChatFrame(_ClientFrame):
    """Post a chat message; answered with ``chat_ack`` (or ``error``)."""

    type: Literal["chat"]
    data: ChatData


class ReactData(_ClientFrame):
    """One reaction of a configured kind (``heart``, ...)."""

    kind: StrictStr = Field(max_length=40)


class ReactFrame(_ClientFrame):
    """Send a reaction; counted into the next ``reactions`` frame (``error`` if refused)."""

    type: Literal["react"]
    data: ReactData


class CardSeenData(_ClientFrame):
    """The pin cue whose product card the page just revealed."""

    cue_id: StrictStr = Field(min_length=1, max_length=200)
    variant: StrictStr | None = Field(
        None,
        max_length=64,
        description="the A/B variant the page drew; the server counts the one it assigns",
    )


class CardSeenFrame(_ClientFrame):
    """The page revealed a card: counted once per viewer and cue in the show's funnel (no
    reply; ``error`` ``unknown_cue`` if the cue is no pin of the show)."""

    type: Literal["card_seen"]
    data: CardSeenData


AnyClientFrame = PingFrame | AuthFrame | ChatFrame | ReactFrame | CardSeenFrame
ClientFrame = Annotated[AnyClientFrame, Field(discriminator="type")]
