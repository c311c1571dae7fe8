"""A small per-process cache of verified sessions, so a viewer's next request skips the Redis read.

Bounded twice: at most ``size`` sessions (least recently used dropped first) and each for at most
``ttl_ms`` after it was read from Redis. Nothing revokes a session but its expiry in Redis (or an
operator's ``DEL``), and neither reaches every process, so the lifetime is the bound: a session
gone from Redis is refused by every process at most ``ttl_ms`` later.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from livebuy.sessions.models import Session


class SessionCache:
    """Verified sessions by token, each kept ``ttl_ms`` at most; ``size`` 0 or ``ttl_ms`` 0: off.

    ``clock`` (seconds, monotonic) lets a test step over the bound exactly.
    """

    def __init__(
        self, *, size: int, ttl_ms: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._size = size
        self._ttl_s = ttl_ms / 1000
        self._clock = clock
        # token -> (monotonic deadline, session); insertion order is recency order.
        self._entries: OrderedDict[str, tuple[float, Session]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        """Whether sessions are kept at all."""
        return self._size > 0 and self._ttl_s > 0

    def get(self, token: str) -> Session | None:
        """The session cached for this exact token, if it was read from Redis within ``ttl_ms``."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        deadline, session = entry
        if self._clock() >= deadline:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return session

    def put(self, token: str, session: Session) -> None:
        """Keep a session just read from Redis; the least recently used one goes when full."""
        if not self.enabled:
            return
        self._entries[token] = (self._clock() + self._ttl_s, session)
        self._entries.move_to_end(token)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
