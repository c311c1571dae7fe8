"""A viewer grabs a packet of a red-packet rain: ``POST /api/shows/{id}/red-packets/{rain}/grab``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from livebuy.api.auth import ProducerDep
from livebuy.api.deps import RedPacketsDep
from livebuy.api.game_limits import PlayerDep
from livebuy.games.red_packets.service import Grab, RainView

router = APIRouter(prefix="/api/shows/{show_id}/red-packets", tags=["games"])

_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"


@router.post("/{rain_id}/grab")
async def grab(
    red_packets: RedPacketsDep,
    player: PlayerDep,
    show_id: Annotated[str, Path(pattern=_ID)],
    rain_id: Annotated[str, Path(pattern=_ID)],
) -> Grab:
    """Grab one packet (one per viewer per rain); its amount is credited to the viewer's wallet.

    Refusals: 404 ``unknown_rain``, 409 ``rain_closed`` / ``rain_empty`` / ``already_grabbed``,
    429 ``grab_cap`` (per-IP cap) / ``game_rate_limited`` (per-session actions).
    """
    return await red_packets.grab(show_id, rain_id, player.session.session_id, player.ip)


@router.get("")
async def rains(
    red_packets: RedPacketsDep,
    _: ProducerDep,
    show_id: Annotated[str, Path(pattern=_ID)],
) -> list[RainView]:
    """Producer: the show's rains (open, or closed and not yet settled) with their live counts."""
    return [
        RainView(
            rain_id=c.rain["rain_id"],
            count=c.rain["count"],
            budget=c.rain["budget"],
            currency=c.rain["currency"],
            ends_at=c.rain["ends_at"],
            granted=c.granted,
            granted_amount=c.granted_amount,
            report=c.report(),
        )
        for c in await red_packets.reports(show_id)
    ]
