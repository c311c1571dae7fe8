"""The session's cart, priced as it is now."""

from __future__ import annotations

from fastapi import APIRouter

from livebuy.api.deps import CommerceDep
from livebuy.api.sessions import SessionDep
from livebuy.commerce.models import Cart, CartQuantity

router = APIRouter(prefix="/api/cart", tags=["commerce"])


@router.get("")
async def get_cart(commerce: CommerceDep, session: SessionDep) -> Cart:
    """The cart with current prices (deal prices while deals run)."""
    return await commerce.cart.get(session.session_id)


@router.put("/items/{sku}")
async def put_item(
    commerce: CommerceDep, session: SessionDep, sku: str, body: CartQuantity
) -> Cart:
    """Set a line's quantity; unknown SKU: 404, quantity out of bounds: 422."""
    return await commerce.cart.put(session.session_id, sku, body.quantity)


@router.delete("/items/{sku}")
async def remove_item(commerce: CommerceDep, session: SessionDep, sku: str) -> Cart:
    """Remove a line."""
    return await commerce.cart.remove(session.session_id, sku)
