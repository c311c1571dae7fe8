"""The OpenAPI document, made exact: what a schema-driven client may send and what it gets back.

FastAPI derives the operations from the handlers, and who must authenticate from the bearer
security dependencies (``livebuy/api/auth.py``); this module adds what it cannot see: the JSON
error body of every status a route answers (FastAPI documents its own 422 shape, which livebuy does
not use), ``X-Request-Id`` and ``Retry-After`` headers, the media types of the non-JSON routes,
stable operation ids, summaries and tag descriptions, and the bounds that come from the settings
(``max_line_quantity``). ``tests/api/test_schemathesis.py`` holds the server to it, Spectral's
``spectral:oas`` ruleset lints it in ``scripts/check`` and ``python -m livebuy.api.openapi``
prints it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from livebuy.api.errors import REQUEST_ID_HEADER
from livebuy.settings import Settings

_API_DESCRIPTION = (
    "The HTTP API of livebuy, a live-commerce show backend: catalog, shows and cues, sessions, "
    "chat moderation, cart and orders, games, wallet, auctions and the HLS video. Every error is "
    'JSON `{"error": {"code", "message", ...}}` (the `Error` schema). The websocket '
    "protocol and every error code are in docs/protocol.md."
)
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

# Per operation: its stable operationId (what generated clients name their methods) and the
# one-line summary people read; the description is the handler's docstring.
_OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("get", "/healthz"): ("getHealth", "Check that the process is up"),
    ("get", "/readyz"): ("getReadiness", "Check that the process can serve"),
    ("get", "/metrics"): ("getMetrics", "Read this process's Prometheus metrics"),
    ("get", "/api/catalog/products"): ("listProducts", "List product cards"),
    ("get", "/api/catalog/products/{product_id}"): ("getProduct", "Get a product card"),
    ("get", "/api/shows"): ("listShows", "List the shows"),
    ("get", "/api/shows/{show_id}"): ("getShow", "Get a show with its run sheet and state"),
    ("post", "/api/shows/{show_id}/cues"): ("postCue", "Play a cue now"),
    ("get", "/api/shows/{show_id}/timeline"): ("getTimeline", "Get the rehearsal timeline"),
    ("put", "/api/shows/{show_id}/timeline"): ("putTimeline", "Change rehearsal speed or pause"),
    ("post", "/api/sessions"): ("createSession", "Create a guest session"),
    ("post", "/api/staff-sessions"): ("createStaffSession", "Create a host or moderator session"),
    ("post", "/api/shows/{show_id}/chat/{kind}"): ("restrictChatAuthor", "Mute or ban an author"),
    ("delete", "/api/shows/{show_id}/chat/messages/{message_id}"): (
        "deleteChatMessage",
        "Delete a chat message",
    ),
    ("delete", "/api/shows/{show_id}/chat/{kind}/{handle}"): (
        "liftChatRestriction",
        "End a mute or ban",
    ),
    ("put", "/api/shows/{show_id}/chat/pin"): ("pinChatMessage", "Pin a chat message"),
    ("delete", "/api/shows/{show_id}/chat/pin"): ("unpinChatMessage", "Unpin the chat message"),
    ("put", "/api/shows/{show_id}/chat/slow-mode"): ("setSlowMode", "Set the chat's slow mode"),
    ("put", "/api/shows/{show_id}/chat/blocked-words"): (
        "setBlockedWords",
        "Replace the blocked words",
    ),
    ("get", "/api/shows/{show_id}/chat/blocked-words"): (
        "getBlockedWords",
        "Get the blocked words",
    ),
    ("get", "/api/shows/{show_id}/chat/moderation-log"): (
        "getModerationLog",
        "Read the moderation log",
    ),
    ("get", "/api/favorites"): ("listFavorites", "List the viewer's favorites"),
    ("put", "/api/favorites/{product_id}"): ("addFavorite", "Add a favorite"),
    ("delete", "/api/favorites/{product_id}"): ("removeFavorite", "Remove a favorite"),
    ("get", "/api/cart"): ("getCart", "Get the cart"),
    ("put", "/api/cart/items/{sku}"): ("putCartItem", "Set a cart line's quantity"),
    ("delete", "/api/cart/items/{sku}"): ("removeCartItem", "Remove a cart line"),
    ("post", "/api/orders"): ("createOrder", "Create an order (buy now or check out)"),
    ("get", "/api/orders"): ("listOrders", "List the viewer's orders"),
    ("get", "/api/orders/{order_id}"): ("getOrder", "Get an order"),
    ("post", "/api/orders/{order_id}/pay"): ("payOrder", "Pay an order"),
    ("post", "/api/orders/{order_id}/cancel"): ("cancelOrder", "Cancel an order"),
    ("put", "/api/coupons/{code}"): ("putCoupon", "Create or change a coupon"),
    ("get", "/api/inventory/{sku}"): ("getStock", "Get a SKU's stock"),
    ("post", "/api/inventory/{sku}/restock"): ("restockSku", "Restock a SKU"),
    ("get", "/api/shows/{show_id}/analytics"): ("getAnalytics", "Get a show's live figures"),
    ("get", "/api/shows/{show_id}/funnel"): ("getFunnel", "Get a show's sales funnel"),
    ("post", "/api/shows/{show_id}/polls/{poll_id}/votes"): ("vote", "Vote in a poll or quiz"),
    ("get", "/api/shows/{show_id}/polls"): ("listPolls", "List a show's polls"),
    ("get", "/api/shows/{show_id}/polls/{poll_id}/winners"): (
        "getQuizWinners",
        "Get a quiz's winners",
    ),
    ("post", "/api/shows/{show_id}/giveaways/{giveaway_id}/entries"): (
        "enterGiveaway",
        "Enter a giveaway",
    ),
    ("get", "/api/shows/{show_id}/giveaways/{giveaway_id}"): (
        "getGiveaway",
        "Get a giveaway and its draw proof",
    ),
    ("get", "/api/shows/{show_id}/giveaways/{giveaway_id}/me"): (
        "getMyGiveawayEntry",
        "Get the caller's giveaway standing",
    ),
    ("post", "/api/shows/{show_id}/giveaways/{giveaway_id}/close"): (
        "closeGiveaway",
        "Close a giveaway and draw",
    ),
    ("get", "/api/wallet"): ("getWallet", "Get the viewer's wallet"),
    ("post", "/api/shows/{show_id}/red-packets/{rain_id}/grab"): (
        "grabRedPacket",
        "Grab a red packet",
    ),
    ("get", "/api/shows/{show_id}/red-packets"): ("listRedPacketRains", "List red-packet rains"),
    ("post", "/api/shows/{show_id}/auctions/{auction_id}/bids"): ("placeBid", "Bid in an auction"),
    ("get", "/api/payment-method"): ("getPaymentMethod", "Get the saved card"),
    ("put", "/api/payment-method"): ("putPaymentMethod", "Save a card for bidding"),
    ("delete", "/api/payment-method"): ("deletePaymentMethod", "Forget the saved card"),
    ("get", "/video/{show_id}/index.m3u8"): ("getLivePlaylist", "Get the live HLS playlist"),
    ("get", "/video/{show_id}/status"): ("getVideoStatus", "Get the live stream's status"),
    ("get", "/video/{show_id}/{segment}"): ("getLiveSegment", "Get a live video segment"),
    ("get", "/api/shows/{show_id}/replay"): ("listReplayRuns", "List a show's recorded runs"),
    ("get", "/api/shows/{show_id}/replay/{run}/state"): (
        "getReplayState",
        "Get a run's state at a program time",
    ),
    ("get", "/api/shows/{show_id}/replay/{run}/timeline"): (
        "getReplayTimeline",
        "Page through a run's timeline",
    ),
    ("get", "/video/{show_id}/replay/{run}/index.m3u8"): (
        "getReplayPlaylist",
        "Get a recorded run's HLS playlist",
    ),
    ("get", "/video/{show_id}/replay/{run}/{segment}"): (
        "getReplaySegment",
        "Get a recorded video segment",
    ),
    ("post", "/api/shows/{show_id}/funnel/sheets"): (
        "countSheetOpened",
        "Count a product sheet opened in the funnel",
    ),
    ("get", "/api/shows/{show_id}/report"): ("getShowReport", "Get the post-show report's figures"),
    ("post", "/api/shows/{show_id}/deals/{deal_id}/entries"): (
        "enterDrop",
        "Enter a lottery drop's draw",
    ),
    ("get", "/api/shows/{show_id}/deals/{deal_id}/entries/me"): (
        "getMyDropEntry",
        "Get the caller's standing in a lottery drop",
    ),
    ("get", "/api/shows/{show_id}/deals/{deal_id}/draw"): (
        "getDropDraw",
        "Get a lottery drop's commitment and draw proof",
    ),
    ("post", "/api/shows/{show_id}/deals/{deal_id}/draw"): (
        "closeDropEntries",
        "Close a lottery drop's entries now",
    ),
    ("get", "/"): ("getViewerPage", "The viewer page"),
    ("get", "/shows/{show_id}"): ("getShowPage", "The viewer page on one show"),
    ("get", "/replay/{show_id}"): ("getReplayPage", "The replay page"),
    ("get", "/console"): ("getConsolePage", "The producer console"),
}
# Every tag an operation uses, described (the router that serves it names the tag).
_TAGS: dict[str, str] = {
    "operations": "Liveness, readiness and metrics for load balancers and monitoring.",
    "catalog": "Product cards: the catalog a show sells from.",
    "shows": "Shows, their run sheets and the producer's cues and rehearsal timeline.",
    "sessions": "Guest sessions: the bearer token a viewer's requests and socket carry.",
    "moderation": "Staff sessions and chat moderation (producer token).",
    "commerce": "Favorites, cart, orders, payment, coupons and stock.",
    "analytics": "A show's live figures, sales funnel and post-show report.",
    "polls": "Polls and quizzes: votes, results and quiz winners.",
    "games": "Giveaways with verifiable draws, and red-packet rains.",
    "wallet": "Store credit, its ledger and won coupons.",
    "auctions": "Live auctions: bids, proxy bids and the card a win is charged to.",
    "video": "The live HLS stream: playlist, segments and encoder status.",
    "replay": "Recorded runs of a show: state, timeline and HLS video.",
    "web": "The HTML pages: viewer, replay and producer console.",
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
    ("post", "/api/shows/{show_id}/deals/{deal_id}/entries"): (403, 404, 409, 429),
    ("get", "/api/shows/{show_id}/deals/{deal_id}/entries/me"): (404, 409),
    ("get", "/api/shows/{show_id}/deals/{deal_id}/draw"): (404, 409),
    ("post", "/api/shows/{show_id}/deals/{deal_id}/draw"): (404, 409),
}
# Media types of the routes that do not answer JSON.
_MEDIA_TYPES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    # Prometheus text exposition format 0.0.4 (prometheus_client's CONTENT_TYPE_LATEST).
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
# The HTML pages: ETag revalidation, never Redis, any show id (the page itself says unknown).
_PAGES = {
    ("get", "/"),
    ("get", "/shows/{show_id}"),
    ("get", "/replay/{show_id}"),
    ("get", "/console"),
}
# Routes that never touch Redis cannot answer 503 unavailable.
_NO_REDIS = {("get", "/healthz"), ("get", "/metrics"), *_PAGES}
# Routes whose path parameters are not looked up.
_NO_LOOKUP = _PAGES


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
    """Add error responses, headers, media types, names, tags and settings' bounds to ``schema``."""
    schema["info"]["description"] = _API_DESCRIPTION
    schema["info"]["contact"] = {"name": "livebuy maintainers"}
    # Relative: the origin that served the document (/docs tries requests against it).
    schema["servers"] = [{"url": "/", "description": "the server that serves this document"}]
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    used_tags: set[str] = set()
    for path, route in _api_routes(app):
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]
            _refine_operation(operation, route, method.lower(), path)
            used_tags.update(operation.get("tags", ()))
    # A tag missing from _TAGS is still listed (tests/api/test_openapi.py asks for its description).
    schema["tags"] = [
        {"name": tag, "description": description}
        for tag, description in _TAGS.items()
        if tag in used_tags
    ] + [{"name": tag} for tag in sorted(used_tags - _TAGS.keys())]
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
    if key in _OPERATIONS:
        operation["operationId"], operation["summary"] = _OPERATIONS[key]
    else:
        # Not named yet (tests/api/test_openapi.py says so): the docstring's first line, not the
        # summary FastAPI makes of the function's name.
        operation["summary"] = operation.get("description", "").partition("\n")[0] or route.name
    operation.setdefault("description", operation["summary"])
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses: set[int] = set(_DOMAIN_STATUSES.get(key, ()))
    # FastAPI declares the security scheme of the bearer dependency the route runs (auth.py).
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    if "producerToken" in schemes:
        statuses |= {401, 403}
    if "sessionToken" in schemes:
        statuses.add(401)
    if "422" in responses:
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {400, 413, 422}
    if route.dependant.path_params and key not in _NO_LOOKUP:
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
    if key == ("post", "/api/orders"):
        responses["200"] = {
            "description": "A replayed Idempotency-Key: the order the first request created",
            "content": responses["201"]["content"],
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
    if key in _PAGES:
        responses["200"]["content"] = {"text/html": {"schema": {"type": "string"}}}
        responses["304"] = {"description": "Not modified since the ETag in If-None-Match"}
    for response in responses.values():
        response.setdefault("headers", {})[REQUEST_ID_HEADER] = _REQUEST_ID_HEADER
    for parameter in operation.get("parameters", []):
        if key == ("post", "/api/orders") and parameter["name"] == "Idempotency-Key":
            # Optional in the handler so that its absence is the service's 400, not a 422.
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"}


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


def document(settings: Settings | None = None) -> dict[str, Any]:
    """The app's OpenAPI document, built without a server or Redis (the app connects lazily)."""
    from livebuy.app import create_app

    settings = settings or Settings()
    return create_app(settings, "redis://127.0.0.1:6379").openapi()


if __name__ == "__main__":
    import json
    import sys

    json.dump(document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
