"""The viewer's wallet: ``GET /api/wallet`` (balances, lots, a ledger page, coupons won)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from livebuy.api.deps import WalletDep
from livebuy.api.sessions import SessionDep
from livebuy.wallet.models import Wallet

router = APIRouter(prefix="/api/wallet", tags=["wallet"])


@router.get("")
async def get_wallet(
    wallet: WalletDep,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Wallet:
    """The session's store credit per currency, its lots (soonest expiry first), one page of
    the ledger (newest first, ``offset``/``limit``) and the coupons it won."""
    return await wallet.wallet(session.session_id, offset=offset, limit=limit)
