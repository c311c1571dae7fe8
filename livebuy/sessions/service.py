"""Creates guest sessions and verifies their tokens.

A token is ``<session id>.<HMAC-SHA256 of the id>``: the gateway verifies it without a Redis round
trip, and Redis still holds the session (display name, handle, role) for everything else. A new
session lives a short while until its first use, then the long lifetime, so sessions created and
never used cost little. A session read from Redis is kept a short while in ``SessionCache`` (its
bound: a session gone from Redis is refused at most ``session_cache_ms`` later).
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Sequence
from typing import cast

from pydantic import ValidationError
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.errors import InvalidInputError, UnauthorizedError
from livebuy.redis import keys
from livebuy.redis.lane import run, run_all, run_behind
from livebuy.sessions.cache import SessionCache
from livebuy.sessions.models import IssuedSession, Role, Session
from livebuy.settings import Settings

# Exactly what ``create`` issues; anything else (non-ASCII, oversized, truncated) is refused
# before it reaches HMAC or Redis.
_TOKEN = re.compile(r"[0-9a-f]{24}\.[0-9a-f]{32}", re.ASCII)
_ADJECTIVES = ["Bold", "Chic", "Sunny", "Velvet", "Swift", "Lucky", "Golden", "Indigo", "Coral"]
_NOUNS = ["Shopper", "Fox", "Heron", "Comet", "Tiger", "Otter", "Lark", "Maple", "Pearl"]


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not name or any(unicodedata.category(char).startswith("C") for char in name):
        raise InvalidInputError("display_name must be printable text", field="display_name")
    return name


class _StoredSession(Session):
    """The Redis record: ``in_use`` once the session was first used and got the long lifetime."""

    in_use: bool = False


class SessionService:
    """Guest sessions in Redis, tokens signed with the server's session secret.

    Args:
        secret: signs new tokens and verifies them.
        previous_secrets: verify tokens only (rotation: old tokens stay valid while listed).
        unused_ttl_s: lifetime of a session nobody has used yet.
        ttl_s: lifetime from the session's first use.
        cache: sessions read from Redis lately (none: every call reads Redis).
    """

    def __init__(
        self,
        redis: Redis,
        secret: str,
        previous_secrets: Sequence[str] = (),
        *,
        unused_ttl_s: int,
        ttl_s: int,
        cache: SessionCache | None = None,
    ) -> None:
        self._redis = redis
        self._secret = secret.encode()
        self._verifiers = [self._secret, *(previous.encode() for previous in previous_secrets)]
        self._unused_ttl_s = unused_ttl_s
        self._ttl_s = ttl_s
        self._cache = cache if cache is not None else SessionCache(size=0, ttl_ms=0)

    @classmethod
    def from_settings(cls, redis: Redis, settings: Settings) -> SessionService:
        """The service with the configured secrets (current, and previous during a rotation)."""
        previous = settings.security.session_secret_previous
        return cls(
            redis,
            settings.security.session_secret.get_secret_value(),
            [previous.get_secret_value()] if previous is not None else [],
            unused_ttl_s=settings.security.session_unused_ttl_s,
            ttl_s=settings.security.session_ttl_s,
            cache=SessionCache(
                size=settings.security.session_cache_size,
                ttl_ms=settings.security.session_cache_ms,
            ),
        )

    @staticmethod
    def _sign(secret: bytes, session_id: str) -> str:
        # The one-shot digest: one C call (``hmac.new`` builds an object per request).
        return hmac.digest(secret, session_id.encode(), "sha256").hex()[:32]

    async def create(self, display_name: str | None, role: Role = "viewer") -> IssuedSession:
        """A new session; a generated display name when none is given.

        Staff sessions (made by the producer) get the long lifetime at once.

        Raises:
            InvalidInputError: the name is blank or has control characters.
        """
        if display_name is None:
            display_name = (
                f"{secrets.choice(_ADJECTIVES)}{secrets.choice(_NOUNS)}{secrets.randbelow(1000)}"
            )
        session = _StoredSession(
            session_id=secrets.token_hex(12),
            handle=secrets.token_hex(6),
            display_name=_clean_name(display_name),
            role=role,
            created_at=now_ms(),
            in_use=role != "viewer",
        )
        ttl_s = self._ttl_s if session.in_use else self._unused_ttl_s
        await self._redis.set(keys.session(session.session_id), session.model_dump_json(), ex=ttl_s)
        token = f"{session.session_id}.{self._sign(self._secret, session.session_id)}"
        return IssuedSession(**session.model_dump(exclude={"in_use"}), token=token)

    def verify_token(self, token: str) -> str:
        """The session id a token was issued for (signed by the current or a previous secret).

        Raises:
            UnauthorizedError: the token is malformed or its signature is wrong.
        """
        if not _TOKEN.fullmatch(token):
            raise UnauthorizedError("invalid session token")
        session_id, _, signature = token.partition(".")
        for secret in self._verifiers:
            if hmac.compare_digest(signature, self._sign(secret, session_id)):
                return session_id
        raise UnauthorizedError("invalid session token")

    async def authenticate(self, token: str) -> Session:
        """The session behind a token; its first use extends it to the long lifetime.

        A token this process verified within ``session_cache_ms`` is answered from memory.

        Raises:
            UnauthorizedError: bad token, or the session expired.
        """
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        session_id = self.verify_token(token)
        raw = cast(str | None, await run(self._redis, "GET", keys.session(session_id)))
        return await self._verified(token, session_id, raw)

    async def authenticate_probing(self, token: str, probe: str) -> tuple[Session, bool]:
        """The session behind a token, as ``authenticate``, and whether the key ``probe`` exists,
        read in one round trip: a caller that needs both (a buy the sold-out gate refuses, unless
        its Idempotency-Key already made an order) pays one Redis round trip, not two.

        Raises:
            UnauthorizedError: bad token, or the session expired (whatever ``probe`` says).
        """
        cached = self._cache.get(token)
        if cached is not None:
            return cached, bool(await run(self._redis, "EXISTS", probe))
        session_id = self.verify_token(token)
        # Not a transaction: the session and the probe may live in different cluster slots.
        raw, found = await run_all(
            self._redis, ("GET", keys.session(session_id)), ("EXISTS", probe)
        )
        return await self._verified(token, session_id, raw), bool(found)

    async def _verified(self, token: str, session_id: str, raw: str | None) -> Session:
        """The session of a verified token from its Redis record ``raw``, marked in use."""
        key = keys.session(session_id)
        if raw is None:
            raise UnauthorizedError("session expired: create a new one")
        try:
            stored = _StoredSession.model_validate_json(raw)
        except ValidationError:
            # A record from before handles existed: the client starts a new session on 401.
            raise UnauthorizedError("session expired: create a new one") from None
        if not stored.in_use:
            stored.in_use = True
            # XX: a session that expired meanwhile stays gone. Not waited for (a first tap on
            # "buy" would wait one round trip more): if it fails, the session keeps its short
            # lifetime and the next read of it from Redis (a cache miss) marks it again.
            await run_behind(
                self._redis, "SET", key, stored.model_dump_json(), "EX", self._ttl_s, "XX"
            )
        session = Session.model_construct(
            session_id=stored.session_id,
            handle=stored.handle,
            display_name=stored.display_name,
            role=stored.role,
            created_at=stored.created_at,
        )
        self._cache.put(token, session)
        return session
