"""Creates guest sessions and verifies their tokens.

A token is ``<session id>.<HMAC-SHA256 of the id>``: the gateway verifies it without a Redis round
trip, and Redis still holds the session (display name, role, mutes) for everything else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.errors import InvalidInputError, UnauthorizedError
from livebuy.redis import keys
from livebuy.sessions.models import IssuedSession, Role, Session

SESSION_TTL_S = 7 * 24 * 3600
_ADJECTIVES = ["Bold", "Chic", "Sunny", "Velvet", "Swift", "Lucky", "Golden", "Indigo", "Coral"]
_NOUNS = ["Shopper", "Fox", "Heron", "Comet", "Tiger", "Otter", "Lark", "Maple", "Pearl"]


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not name or any(unicodedata.category(char).startswith("C") for char in name):
        raise InvalidInputError("display_name must be printable text", field="display_name")
    return name


class SessionService:
    """Guest sessions in Redis, tokens signed with the server's session secret."""

    def __init__(self, redis: Redis, secret: str) -> None:
        self._redis = redis
        self._secret = secret.encode()

    def _sign(self, session_id: str) -> str:
        return hmac.new(self._secret, session_id.encode(), hashlib.sha256).hexdigest()[:32]

    async def create(self, display_name: str | None, role: Role = "viewer") -> IssuedSession:
        """A new session; a generated display name when none is given.

        Raises:
            InvalidInputError: the name is blank or has control characters.
        """
        if display_name is None:
            display_name = (
                f"{secrets.choice(_ADJECTIVES)}{secrets.choice(_NOUNS)}{secrets.randbelow(1000)}"
            )
        session = Session(
            session_id=secrets.token_hex(12),
            display_name=_clean_name(display_name),
            role=role,
            created_at=now_ms(),
        )
        await self._redis.set(
            keys.session(session.session_id), session.model_dump_json(), ex=SESSION_TTL_S
        )
        return IssuedSession(
            **session.model_dump(), token=f"{session.session_id}.{self._sign(session.session_id)}"
        )

    def verify_token(self, token: str) -> str:
        """The session id a token was issued for.

        Raises:
            UnauthorizedError: the token is malformed or its signature is wrong.
        """
        session_id, _, signature = token.partition(".")
        if not session_id or not hmac.compare_digest(signature, self._sign(session_id)):
            raise UnauthorizedError("invalid session token")
        return session_id

    async def authenticate(self, token: str) -> Session:
        """The session behind a token.

        Raises:
            UnauthorizedError: bad token, or the session expired.
        """
        session_id = self.verify_token(token)
        raw = await self._redis.get(keys.session(session_id))
        if raw is None:
            raise UnauthorizedError("session expired: create a new one")
        return Session.model_validate_json(raw)
