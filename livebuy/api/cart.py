"""The session's cart, priced as it is now."""

from __future__ import annotations

from fastapi import APIRouter

from livebuy.api.deps import CommerceDep, FunnelDep, ShowsDep
from livebuy.api.sessions import SessionDep
from livebuy.commerce.models import Cart, CartQuantity

router = APIRouter(prefix="/api/cart", tags=["commerce"])


@router.get("")
async def get_cart(commerce: CommerceDep, session: SessionDep) -> Cart:
    """The cart with current prices (deal prices while deals run)."""
    return await commerce.cart.get(session.session_id)


@router.put("/items/{sku}")
async def put_item(
    commerce: CommerceDep,
    shows: ShowsDep,
    funnel: FunnelDep,
    session: SessionDep,
    sku: str,
    body: CartQuantity,
) -> Cart:
    """Set a line's quantity; unknown SKU or show: 404, quantity out of bounds: 422. With
    ``show_id`` the add counts in that show's funnel (once per session and product)."""
    if body.show_id is not None:
        await shows.get(body.show_id)
    cart = await commerce.cart.put(session.session_id, sku, body.quantity)
    if body.show_id is not None:
        product_id = next(line.product_id for line in cart.items if line.sku == sku)
        await funnel.added_to_bag(body.show_id, product_id, session.session_id)
    return cart


@router.delete("/items/{sku}")
async def remove_item(commerce: CommerceDep, session: SessionDep, sku: str) -> Cart:
    """Remove a line."""
    return await commerce.cart.remove(session.session_id, sku)
