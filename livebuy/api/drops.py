"""Lottery drop endpoints: enter a lottery deal's draw, my standing, the published draw.

A lottery deal is a flash deal started with ``mode: "lottery"`` (run sheet, or
``POST /api/shows/{show_id}/cues``); the elected ``DropCloser`` draws it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from livebuy.api.auth import ProducerDep
from livebuy.api.deps import DropsDep
from livebuy.api.rate_limit import rate_limited
from livebuy.api.sessions import SessionDep
from livebuy.games.drops.models import DrawDocument, EntryRequest, EntryResult, MyEntry

router = APIRouter(prefix="/api/shows/{show_id}/deals/{deal_id}", tags=["games"])

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ShowId = Annotated[str, Path(pattern=ID_PATTERN)]
DealId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post(
    "/entries",
    status_code=201,
    dependencies=[Depends(rate_limited("drop_entries"))],
    responses={200: {"model": EntryResult, "description": "entered already (a repeat tap)"}},
)
async def enter_drop(
    drops: DropsDep,
    session: SessionDep,
    show_id: ShowId,
    deal_id: DealId,
    response: Response,
    body: EntryRequest | None = None,
) -> EntryResult:
    """Enter the deal's draw (one entry per session: a repeat tap answers 200, the same body)."""
    result, created = await drops.enter(
        show_id, deal_id, session, None if body is None else body.sku
    )
    if not created:
        response.status_code = 200
    return result


@router.get("/entries/me")
async def my_entry(
    drops: DropsDep, session: SessionDep, show_id: ShowId, deal_id: DealId
) -> MyEntry:
    """The caller's standing: not_entered, entered, won (order_id, pay_by), waitlisted, lost."""
    return await drops.mine(show_id, deal_id, session)


@router.get("/draw")
async def get_draw(drops: DropsDep, show_id: ShowId, deal_id: DealId) -> DrawDocument:
    """The commitment, and once drawn the proof (what ``livebuy verify-draw`` takes)."""
    return await drops.document(show_id, deal_id)


@router.post("/draw")
async def close_entries(
    drops: DropsDep, show_id: ShowId, deal_id: DealId, _: ProducerDep
) -> DrawDocument:
    """Close the entries now (producer token); the draw follows within a closer tick
    (409 ``deal_not_active`` if the entries are closed already)."""
    return await drops.close_now(show_id, deal_id)
