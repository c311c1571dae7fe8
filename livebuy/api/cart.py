"""The session's cart, priced as it is now."""

from __future__ import annotations

from fastapi import APIRouter, Request

from livebuy.api.sessions import SessionDep
from livebuy.commerce.cart import CartService
from livebuy.commerce.models import Cart, CartQuantity

router = APIRouter(prefix="/api/cart", tags=["commerce"])


def _cart(request: Request) -> CartService:
    service: CartService = request.app.state.commerce.cart
    return service


@router.get("")
async def get_cart(request: Request, session: SessionDep) -> Cart:
    """The cart with current prices (deal prices while deals run)."""
    return await _cart(request).get(session.session_id)


@router.put("/items/{sku}")
async def put_item(request: Request, session: SessionDep, sku: str, body: CartQuantity) -> Cart:
    """Set a line's quantity; unknown SKU: 404, quantity out of bounds: 422."""
    return await _cart(request).put(session.session_id, sku, body.quantity)


@router.delete("/items/{sku}")
async def remove_item(request: Request, session: SessionDep, sku: str) -> Cart:
    """Remove a line."""
    return await _cart(request).remove(session.session_id, sku)
