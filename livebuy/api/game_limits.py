"""The player behind a game action: their session, their client IP, and the bot limit.

Every viewer action of a game (a vote, a giveaway entry, a red-packet grab) takes ``PlayerDep``:
it authenticates the session (401), takes one token from the session's game-action bucket (429
``game_rate_limited``: no thumb taps that fast) and names the client IP the game's per-IP cap
counts against (``livebuy.api.client_ip``, the same rule as the rate limiter's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from livebuy.api.sessions import SessionDep
from livebuy.services import services_of
from livebuy.sessions.models import Session


@dataclass(frozen=True)
class Player:
    """A viewer acting in a game: the session and the client IP it acts from."""

    session: Session
    ip: str


async def game_player(request: Request, session: SessionDep) -> Player:
    """The caller of a game action, counted against the session's game-action limit.

    Raises:
        UnauthorizedError: no valid session token (401).
        GameRateLimitedError: the session acts faster than ``game_actions_per_minute`` (429).
    """
    limiter = services_of(request).rate_limiter
    await limiter.take_game_action(session.session_id)
    return Player(session=session, ip=limiter.addresses.of(request))


PlayerDep = Annotated[Player, Depends(game_player)]
