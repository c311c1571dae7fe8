"""Giveaway endpoints: enter, the public view with the draw's proof, my result, close early.

A giveaway is opened by its cue (run sheet, or ``POST /api/shows/{show_id}/cues``).
"""

from __future__ import annotations

from fastapi import APIRouter

from livebuy.api.auth import ProducerDep
from livebuy.api.deps import GiveawaysDep
from livebuy.api.game_limits import PlayerDep
from livebuy.api.sessions import SessionDep
from livebuy.games.giveaways.models import EntryResult, GiveawayView, MyGiveaway

router = APIRouter(prefix="/api/shows/{show_id}/giveaways", tags=["games"])


@router.post("/{giveaway_id}/entries", status_code=201)
async def enter_giveaway(
    giveaways: GiveawaysDep, player: PlayerDep, show_id: str, giveaway_id: str
) -> EntryResult:
    """Enter with the caller's session (one entry per session; 409 ``already_entered`` after).

    Also 429 ``entry_cap`` (per-IP cap) and ``game_rate_limited`` (per-session actions).
    """
    return await giveaways.enter(show_id, giveaway_id, player.session, player.ip)


@router.get("/{giveaway_id}")
async def get_giveaway(giveaways: GiveawaysDep, show_id: str, giveaway_id: str) -> GiveawayView:
    """The giveaway; once drawn with ``proof`` (what ``livebuy verify-draw`` takes)."""
    return await giveaways.view(show_id, giveaway_id)


@router.get("/{giveaway_id}/me")
async def my_giveaway(
    giveaways: GiveawaysDep, session: SessionDep, show_id: str, giveaway_id: str
) -> MyGiveaway:
    """The caller's standing: entered, won, and a won coupon's code."""
    return await giveaways.mine(show_id, giveaway_id, session)


@router.post("/{giveaway_id}/close")
async def close_giveaway(
    giveaways: GiveawaysDep, show_id: str, giveaway_id: str, _: ProducerDep
) -> GiveawayView:
    """Close the entries now and draw (producer token; 409 ``giveaway_closed`` if drawn)."""
    return await giveaways.close_early(show_id, giveaway_id)
