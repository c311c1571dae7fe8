"""Favorites of the session's viewer."""

from __future__ import annotations

from fastapi import APIRouter, Request

from livebuy.api.sessions import SessionDep
from livebuy.commerce.favorites import FavoriteService
from livebuy.commerce.models import Favorites

router = APIRouter(prefix="/api/favorites", tags=["commerce"])


def _favorites(request: Request) -> FavoriteService:
    service: FavoriteService = request.app.state.commerce.favorites
    return service


@router.get("")
async def list_favorites(request: Request, session: SessionDep) -> Favorites:
    """The viewer's favorite product ids."""
    return await _favorites(request).list(session.session_id)


@router.put("/{product_id}")
async def add_favorite(request: Request, session: SessionDep, product_id: str) -> Favorites:
    """Add a product; unknown product: 404."""
    return await _favorites(request).add(session.session_id, product_id)


@router.delete("/{product_id}")
async def remove_favorite(request: Request, session: SessionDep, product_id: str) -> Favorites:
    """Remove a product."""
    return await _favorites(request).remove(session.session_id, product_id)
