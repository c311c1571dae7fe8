"""Catalog HTTP API: browse the product cards (product + live stock) viewers see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from catalog.models import ProductCard
from livebuy.api.deps import CatalogDep

router = APIRouter(prefix="/api/catalog", tags=["catalog"])

# Far beyond any catalog, far below what Redis' 64-bit range arithmetic would refuse.
MAX_OFFSET = 1_000_000


class ProductPage(BaseModel):
    """One page of product cards in catalog order, with the catalog's total size."""

    model_config = ConfigDict(frozen=True)

    items: list[ProductCard]
    total: int
    offset: int
    limit: int


@router.get("/products")
async def list_products(
    catalog: CatalogDep,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="catalog position of the first card")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="cards per page")] = 20,
) -> ProductPage:
    """A page of product cards, in catalog order."""
    items, total = await catalog.list_cards(offset, limit)
    return ProductPage(items=items, total=total, offset=offset, limit=limit)


@router.get("/products/{product_id}")
async def get_product(product_id: str, catalog: CatalogDep) -> ProductCard:
    """One product card; an unknown id is a 404 ``unknown_product`` error."""
    return await catalog.get_card(product_id)
