"""Auction endpoints: a viewer's bid, and the card a viewer saves to be allowed to bid."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from livebuy.api.deps import AuctionsDep
from livebuy.api.sessions import SessionDep
from livebuy.commerce.models import PaymentRequest
from livebuy.errors import NotFoundError
from livebuy.games.auctions.payment_methods import SavedPaymentMethod, public_view
from livebuy.games.auctions.service import BidRequest, BidResult

router = APIRouter(prefix="/api", tags=["auctions"])

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


@router.post("/shows/{show_id}/auctions/{auction_id}/bids")
async def place_bid(
    auctions: AuctionsDep,
    session: SessionDep,
    show_id: Annotated[str, Path(pattern=ID_PATTERN)],
    auction_id: Annotated[str, Path(pattern=ID_PATTERN)],
    body: BidRequest,
) -> BidResult:
    """Bid (``amount``) or set a ceiling for proxy bidding (``max_amount``); needs a saved card.

    Refused at or after the auction's ``ends_at`` by the server's clock (409 ``auction_closed``).
    """
    return await auctions.bid(show_id, auction_id, session, body)


@router.get("/payment-method")
async def get_payment_method(auctions: AuctionsDep, session: SessionDep) -> SavedPaymentMethod:
    """The card the viewer saved for bidding (last four digits); none: 404."""
    card = await auctions.methods.get(session.session_id)
    if card is None:
        raise NotFoundError("no saved card")
    return public_view(card)


@router.put("/payment-method")
async def put_payment_method(
    auctions: AuctionsDep, session: SessionDep, body: PaymentRequest
) -> SavedPaymentMethod:
    """Save (or replace) the card an auction win is charged to (demo gateway test cards)."""
    return await auctions.methods.save(session.session_id, body)


@router.delete("/payment-method", status_code=204)
async def delete_payment_method(auctions: AuctionsDep, session: SessionDep) -> Response:
    """Forget the saved card (the viewer can no longer bid)."""
    await auctions.methods.remove(session.session_id)
    return Response(status_code=204)
