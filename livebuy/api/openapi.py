"""The OpenAPI document, made exact: what a schema-driven client may send and what it gets back.

FastAPI derives the operations from the handlers; this module adds what it cannot see:
who must authenticate (the bearer token checks are plain dependencies), the JSON error body of
every status a route answers (FastAPI documents its own 422 shape, which livebuy does not use),
``X-Request-Id`` and ``Retry-After`` headers, the media types of the non-JSON routes and the
bounds that come from the settings (``max_line_quantity``). ``tests/api/test_schemathesis.py``
holds the server to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from livebuy.api.auth import require_producer
from livebuy.api.errors import REQUEST_ID_HEADER
from livebuy.api.sessions import current_session
from livebuy.settings import Settings

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, machine-readable"},
                "message": {"type": "string", "description": "for people"},
                "request_id": {"type": "string"},
                "retry_after_ms": {"type": "integer"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
            "additionalProperties": True,
        }
    },
}
_REQUEST_ID_HEADER = {
    "description": "the request's id (the caller's when sane, else generated); in the log line",
    "schema": {"type": "string"},
}
_RETRY_AFTER_HEADER = {"description": "seconds to wait", "schema": {"type": "string"}}

_REASONS = {
    400: "Malformed request (a body that is not JSON, a missing Idempotency-Key)",
    401: "Bearer token missing or not valid",
    402: "Payment declined",
    403: "Wrong producer token, or the session may not do this",
    404: "Unknown show, product, SKU, order, message or game",
    409: "Refused by the current state (stock, deal, coupon, idempotency, order state, game)",
    413: "Request body over the limit",
    422: "Body, query or path does not validate",
    429: "Too many requests; retry after Retry-After",
    503: "A backing service (Redis) is unreachable; retry after Retry-After",
    504: "Payment gateway timed out",
}

# Statuses that come from the services, by operation; auth, validation, bodies, path lookups and
# Redis outages are derived from the routes.
_DOMAIN_STATUSES: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/sessions"): (429,),
    ("post", "/api/orders"): (400, 404, 409, 429),
    ("post", "/api/orders/{order_id}/pay"): (402, 409, 504),
    ("post", "/api/orders/{order_id}/cancel"): (409,),
    ("put", "/api/cart/items/{sku}"): (409,),
    ("post", "/api/shows/{show_id}/cues"): (409,),
    ("post", "/api/shows/{show_id}/polls/{poll_id}/votes"): (409, 429),
    ("get", "/api/shows/{show_id}/polls/{poll_id}/winners"): (409,),
    ("post", "/api/shows/{show_id}/giveaways/{giveaway_id}/entries"): (403, 404, 409, 429),
    ("get", "/api/shows/{show_id}/giveaways/{giveaway_id}"): (404,),
    ("get", "/api/shows/{show_id}/giveaways/{giveaway_id}/me"): (404,),
    ("post", "/api/shows/{show_id}/giveaways/{giveaway_id}/close"): (404, 409),
    ("post", "/api/shows/{show_id}/red-packets/{rain_id}/grab"): (409, 429),
    ("post", "/api/shows/{show_id}/auctions/{auction_id}/bids"): (403, 404, 409),
    ("get", "/api/payment-method"): (404,),
}
# Media types of the routes that do not answer JSON.
_MEDIA_TYPES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("get", "/metrics"): ("text/plain", {"type": "string"}),
    ("get", "/video/{show_id}/index.m3u8"): ("application/vnd.apple.mpegurl", {"type": "string"}),
    ("get", "/video/{show_id}/{segment}"): ("video/mp2t", {"type": "string", "format": "binary"}),
    ("get", "/video/{show_id}/replay/{run}/index.m3u8"): (
        "application/vnd.apple.mpegurl",
        {"type": "string"},
    ),
    ("get", "/video/{show_id}/replay/{run}/{segment}"): (
        "video/mp2t",
        {"type": "string", "format": "binary"},
    ),
}
# Routes that never touch Redis cannot answer 503 unavailable.
_NO_REDIS = {("get", "/healthz"), ("get", "/metrics")}


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve the refined document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            refine(schema, app, settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def refine(schema: dict[str, Any], app: FastAPI, settings: Settings) -> None:
    """Add auth, error responses, headers, media types and settings' bounds to ``schema``."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {
        "producerToken": {"type": "http", "scheme": "bearer", "description": "producer token"},
        "sessionToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "viewer session token from POST /api/sessions",
        },
    }
    for path, route in _api_routes(app):
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]
            _refine_operation(operation, route, method.lower(), path)
    _refine_bodies(schemas, settings)


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path, whether FastAPI flattens included routers or not."""
    iter_route_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_route_contexts is None:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path_format, route
        return
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.path_format, context.original_route


def _refine_operation(operation: dict[str, Any], route: APIRoute, method: str, path: str) -> None:
    key = (method, path)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    calls = set(_dependency_calls(route.dependant))
    statuses: set[int] = set(_DOMAIN_STATUSES.get(key, ()))
    if require_producer in calls:
        operation["security"] = [{"producerToken": []}]
        statuses |= {401, 403}
    elif current_session in calls:
        operation["security"] = [{"sessionToken": []}]
        statuses.add(401)
    if "422" in responses:
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {400, 413, 422}
    if route.dependant.path_params:
        statuses.add(404)
    if key not in _NO_REDIS:
        statuses.add(503)
    if key == ("get", "/readyz"):
        # Readiness answers its own body when Redis is down: load balancers read the status.
        statuses.discard(503)
        responses["503"] = {
            "description": "Redis does not answer",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    for status in sorted(statuses):
        response: dict[str, Any] = {
            "description": _REASONS[status],
            "content": {"application/json": {"schema": ERROR_REF}},
        }
        if status in (429, 503):
            response["headers"] = {"Retry-After": _RETRY_AFTER_HEADER}
        responses[str(status)] = response
    if key in _MEDIA_TYPES:
        media_type, media_schema = _MEDIA_TYPES[key]
        responses["200"]["content"] = {media_type: {"schema": media_schema}}
    for response in responses.values():
        response.setdefault("headers", {})[REQUEST_ID_HEADER] = _REQUEST_ID_HEADER
    for parameter in operation.get("parameters", []):
        if key == ("post", "/api/orders") and parameter["name"] == "Idempotency-Key":
            # Optional in the handler so that its absence is the service's 400, not a 422.
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"}


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for child in dependant.dependencies:
        yield from _dependency_calls(child)


# Names the session service takes (NFC, no control or format characters, not blank) cannot be
# written as a portable regex; the schema shows a safe subset: word characters and common marks.
_DISPLAY_NAME_PATTERN = r"^[\w.,'!?&()+-][\w .,'!?&()+-]*$"


def _refine_bodies(schemas: dict[str, Any], settings: Settings) -> None:
    # The per-line bound is a setting; pydantic only knows the hard ceiling.
    for name in ("OrderRequest", "CartQuantity"):
        if name in schemas:
            schemas[name]["properties"]["quantity"]["maximum"] = settings.commerce.max_line_quantity
    for name in ("SessionRequest", "StaffSessionRequest"):
        if name not in schemas:
            continue
        field = schemas[name]["properties"]["display_name"]
        for choice in field.get("anyOf", [field]):
            if choice.get("type") == "string":
                choice["pattern"] = _DISPLAY_NAME_PATTERN
