"""The OpenAPI document states the rules the server enforces (what schemathesis relies on)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.servers import LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


async def _schema(server: LiveServer) -> dict[str, Any]:
    async with server.http() as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


async def test_order_body_rules_are_in_the_schema(make_server: MakeServer) -> None:
    """Quantity is capped by ``max_line_quantity``, ``{}`` is not a valid order, the key is required."""
    server = await make_server(max_line_quantity=7)
    schema = await _schema(server)
    order = schema["components"]["schemas"]["OrderRequest"]
    assert order["properties"]["quantity"]["maximum"] == 7
    # Every accepted shape requires sku or from_cart, so {} matches none of them.
    assert all(branch["required"] for branch in order["anyOf"])
    assert {frozenset(branch["required"]) & {"sku", "from_cart"} for branch in order["anyOf"]} == {
        frozenset({"sku"}),
        frozenset({"from_cart"}),
    }
    cart = schema["components"]["schemas"]["CartQuantity"]
    assert cart["properties"]["quantity"]["maximum"] == 7
    create = schema["paths"]["/api/orders"]["post"]
    (key,) = [p for p in create["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["required"] is True
    assert {"400", "401", "404", "409", "422", "429", "503"} <= set(create["responses"])
    assert create["security"] == [{"sessionToken": []}]


async def test_errors_auth_and_media_types_are_declared(make_server: MakeServer) -> None:
    """Error bodies use the ``Error`` model, producer routes declare 401/403, non-JSON routes say so."""
    server = await make_server()
    schema = await _schema(server)
    cue = schema["paths"]["/api/shows/{show_id}/cues"]["post"]
    assert cue["security"] == [{"producerToken": []}]
    for status in ("401", "403", "404", "422", "503"):
        content = cue["responses"][status]["content"]["application/json"]["schema"]
        assert content == {"$ref": "#/components/schemas/Error"}, status
    assert "Retry-After" in cue["responses"]["503"]["headers"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    metrics = schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
    segment = schema["paths"]["/video/{show_id}/{segment}"]["get"]["responses"]["200"]["content"]
    assert list(segment) == ["video/mp2t"]
    replay = "/video/{show_id}/replay/{run}"
    for path, media in ((f"{replay}/index.m3u8", "application/vnd.apple.mpegurl"),
                        (f"{replay}/{{segment}}", "video/mp2t")):  # fmt: skip
        assert list(schema["paths"][path]["get"]["responses"]["200"]["content"]) == [media]
