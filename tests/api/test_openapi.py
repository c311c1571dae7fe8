"""The OpenAPI document states the rules the server enforces (what schemathesis relies on)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from livebuy.api.openapi import document
from tests.servers import PRODUCER_TOKEN, LiveServer

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


def test_every_operation_is_named_summarised_tagged_and_secured_by_its_dependency() -> None:
    """Stable unique operationIds, human summaries, described tags, bearer schemes from auth.py."""
    schema = document()
    operations = [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    ids = [operation["operationId"] for _, operation in operations]
    assert len(ids) == len(set(ids))
    described = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    for label, operation in operations:
        # FastAPI's own ids end with the method; each operation needs its line in _OPERATIONS.
        assert re.fullmatch(r"[a-z][A-Za-z]+", operation["operationId"]), (label, "_OPERATIONS")
        assert operation["summary"] and operation["description"], label
        assert all(described.get(tag) for tag in operation["tags"]), (label, "_TAGS")
    schemes = schema["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "producerToken": ("http", "bearer"),
        "sessionToken": ("http", "bearer"),
    }
    # FastAPI's own 422 body ({"detail": ...}) is never sent, so never declared.
    assert "HTTPValidationError" not in json.dumps(schema)
    assert "/console" in schema["paths"]
    page = schema["paths"]["/console"]["get"]["responses"]
    assert list(page["200"]["content"]) == ["text/html"] and "304" in page


def _declared_error(schema: dict[str, Any], operation: dict[str, Any], label: str,
                    response: httpx.Response) -> dict[str, Any]:  # fmt: skip
    """The response's status is declared for the operation and its body validates against it."""
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{label}: {response.status_code} undeclared: {response.text}"
    body: dict[str, Any] = response.json()
    body_schema = declared["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**body_schema, "components": schema["components"]})
    errors = [error.message for error in validator.iter_errors(body)]
    assert not errors, f"{label}: {response.status_code} {body} breaks its schema: {errors}"
    return body


async def test_common_mistakes_answer_declared_statuses_with_the_error_model(
    make_server: MakeServer,
) -> None:
    """No token: 401; a body of the wrong shape: 422 with problems; both declared, both valid."""
    server = await make_server()
    schema = await _schema(server)
    async with server.http() as client:
        session = (await client.post("/api/sessions")).json()["token"]
        tokens = {"producerToken": PRODUCER_TOKEN, "sessionToken": session}
        show_id = (await client.get("/api/shows")).json()[0]["id"]
        checked = {"401": 0, "422": 0}
        for path, item in schema["paths"].items():
            # A real show (some routes look it up before reading the body), other ids unknown.
            url = re.sub(r"\{[^}]+\}", "nope", path.replace("{show_id}", show_id))
            for method, operation in item.items():
                label = f"{method.upper()} {path}"
                security = [
                    name for requirement in operation.get("security", []) for name in requirement
                ]
                if security:
                    response = await client.request(method, url)
                    assert response.status_code == 401, label
                    body = _declared_error(schema, operation, label, response)
                    assert body["error"]["code"] == "unauthorized", label
                    checked["401"] += 1
                if "requestBody" not in operation:
                    continue
                headers = {"Idempotency-Key": "k-1"}
                if security:
                    headers["Authorization"] = f"Bearer {tokens[security[0]]}"
                response = await client.request(method, url, json=[1, 2], headers=headers)
                assert response.status_code == 422, f"{label}: {response.text}"
                body = _declared_error(schema, operation, label, response)
                assert body["error"]["code"] == "invalid_input" and body["error"]["problems"], label
                checked["422"] += 1
    assert checked["401"] > 30 and checked["422"] > 15, checked
