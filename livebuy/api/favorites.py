"""Favorites of the session's viewer."""

from __future__ import annotations

from fastapi import APIRouter

from livebuy.api.deps import CommerceDep
from livebuy.api.sessions import SessionDep
from livebuy.commerce.models import Favorites

router = APIRouter(prefix="/api/favorites", tags=["commerce"])


@router.get("")
async def list_favorites(commerce: CommerceDep, session: SessionDep) -> Favorites:
    """The viewer's favorite product ids."""
    return await commerce.favorites.list(session.session_id)


@router.put("/{product_id}")
async def add_favorite(commerce: CommerceDep, session: SessionDep, product_id: str) -> Favorites:
    """Add a product; unknown product: 404."""
    return await commerce.favorites.add(session.session_id, product_id)


@router.delete("/{product_id}")
async def remove_favorite(commerce: CommerceDep, session: SessionDep, product_id: str) -> Favorites:
    """Remove a product."""
    return await commerce.favorites.remove(session.session_id, product_id)
