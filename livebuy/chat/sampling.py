"""Which chat messages a batch shows when the room posts faster than anyone can read."""

from __future__ import annotations

import random

from livebuy.chat.models import ChatMessage


class ChatSampler:
    """A token bucket of readable messages (``per_s`` a second, bursts of one second's worth).

    Every staff message (host, moderator) is kept; viewers' messages fill what the bucket allows,
    chosen at random and kept in order. The sender of a dropped message still saw it in its
    ``chat_ack``, so nobody's own message disappears from their screen.
    """

    def __init__(self, per_s: float, rng: random.Random | None = None) -> None:
        self._per_s = per_s
        self._tokens = per_s
        self._last_ms: int | None = None
        self._rng = rng or random.Random()

    def sample(self, messages: list[ChatMessage], now_ms: int) -> list[ChatMessage]:
        """The messages to show out of ``messages`` (in order), spending the readable budget."""
        if self._last_ms is not None:
            elapsed_s = max(0, now_ms - self._last_ms) / 1000
            self._tokens = min(self._per_s, self._tokens + elapsed_s * self._per_s)
        self._last_ms = now_ms
        staff = [index for index, message in enumerate(messages) if message.is_staff]
        viewers = [index for index, message in enumerate(messages) if not message.is_staff]
        room = max(0, min(len(viewers), int(self._tokens) - len(staff)))
        kept = set(staff) | set(self._rng.sample(viewers, room))
        self._tokens = max(0.0, self._tokens - len(kept))
        return [message for index, message in enumerate(messages) if index in kept]
