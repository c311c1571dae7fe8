"""The chat side of one viewer's websocket: who the viewer is, and what its chat frames do."""

from __future__ import annotations

from livebuy.chat.models import ChatMessage
from livebuy.chat.service import ChatService
from livebuy.errors import UnauthorizedError
from livebuy.sessions.models import Session
from livebuy.sessions.service import SessionService


class ChatChannel:
    """Holds the viewer's session (from ``?token=`` or an ``auth`` frame) for chat and reactions.

    Watching needs no session; chatting and reacting do.
    """

    def __init__(self, show_id: str, chat: ChatService, sessions: SessionService) -> None:
        self.show_id = show_id
        self.session: Session | None = None
        self._chat = chat
        self._sessions = sessions

    async def authenticate(self, token: str) -> Session:
        """Attach the session behind ``token`` to this connection.

        Raises:
            UnauthorizedError: bad token or expired session (a previous session stays attached).
        """
        self.session = await self._sessions.authenticate(token)
        return self.session

    def _require_session(self) -> Session:
        if self.session is None:
            raise UnauthorizedError(
                "chatting and reacting need a session: POST /api/sessions, then send "
                '{"type": "auth", "data": {"token": ...}} or connect with ?token='
            )
        return self.session

    async def chat(self, text: str) -> ChatMessage:
        """Post a message; returns the stored message for the sender's ``chat_ack``."""
        return await self._chat.post(self.show_id, self._require_session(), text)

    async def react(self, kind: str) -> None:
        """Count one reaction."""
        await self._chat.react(self.show_id, self._require_session(), kind)
