"""The catalog HTTP router, on a minimal app with the error mapping the real app provides."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from livebuy.api.catalog import router
from livebuy.api.deps import get_catalog
from livebuy.errors import LivebuyError
from livebuy.services import catalog_store


async def livebuy_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LivebuyError)
    return JSONResponse({"error": exc.to_json()}, status_code=exc.http_status)


@pytest.fixture
async def client(redis: Redis) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app serving the catalog router over Redis holding the demo catalog."""
    await load_catalog(redis, load_demo_catalog())
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_catalog] = lambda: catalog_store(redis)
    app.add_exception_handler(LivebuyError, livebuy_error)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(verify=False, transport=transport, base_url="http://test") as http:
        yield http


async def test_products_page(client: httpx.AsyncClient) -> None:
    """A page holds ``limit`` cards from ``offset`` in catalog order, with the total."""
    products = load_demo_catalog()
    response = await client.get("/api/catalog/products", params={"offset": 2, "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["offset"], body["limit"]) == (len(products), 2, 5)
    assert [item["id"] for item in body["items"]] == [p.id for p in products[2:7]]
    first = body["items"][0]
    assert first["available"] == sum(v.stock for v in products[2].variants)
    assert [s["sku"] for s in first["stock"]] == [v.sku for v in products[2].variants]


async def test_products_page_defaults(client: httpx.AsyncClient) -> None:
    """Without parameters the first 20 cards are returned."""
    body = (await client.get("/api/catalog/products")).json()
    assert (body["offset"], body["limit"], len(body["items"])) == (0, 20, 20)


async def test_product_card(client: httpx.AsyncClient) -> None:
    """One product's card carries the product fields and its live stock."""
    product = load_demo_catalog()[0]
    response = await client.get(f"/api/catalog/products/{product.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == product.id and body["name"] == product.name
    assert body["available"] == sum(v.stock for v in product.variants)


async def test_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    """An unknown id answers 404 with the ``unknown_product`` error code."""
    response = await client.get("/api/catalog/products/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_product"


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 1000}, {"offset": -1}, {"limit": "many"}]
)
async def test_bad_paging_is_422(client: httpx.AsyncClient, params: dict[str, int | str]) -> None:
    """Out-of-range or non-numeric paging parameters are rejected by validation."""
    response = await client.get("/api/catalog/products", params=params)
    assert response.status_code == 422
