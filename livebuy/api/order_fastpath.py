"""``POST /api/orders`` without FastAPI's routing and dependency solving, for well-formed requests.

A flash deal is thousands of buys in a few seconds, and FastAPI's per-request work (routing, the
``Request`` object, solving six dependencies, validating the answer again) cost more CPU than the
order itself. A request that is plainly well formed (a JSON body ``OrderRequest`` accepts,
``Content-Type: application/json``, ``Authorization: Bearer ...``) is answered here, in the order
the route would run: the per-IP rate limit, the session, the order. Anything else (a bad body, no
token, another content type) goes on to the route with its body replayed, so every validation
error is the route's own. The route stays declared for the OpenAPI document.

It sits inside the app's middleware (request id, limits, timing: the same headers and outage
answers) and answers livebuy's errors as the app's exception handlers do.
"""

from __future__ import annotations

import orjson
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livebuy.api.errors import http_error_parts, send_json
from livebuy.api.orders import create_order, place_order, router
from livebuy.commerce.models import OrderRequest
from livebuy.errors import LivebuyError, TooManyRequestsError
from livebuy.services import Services

PATH = "/api/orders"
_JSON = b"application/json"
_ROUTE = next(
    route
    for route in router.routes
    if isinstance(route, APIRoute) and route.endpoint is create_order
)


class OrderFastPath:
    """Pure ASGI: answers a well-formed ``POST /api/orders``, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except HTTPException as error:
            # The body limit (413), refused as the app's handler would.
            status, payload, headers = http_error_parts(error)
            await send_json(send, status, payload, headers)
            return
        plain = _plain(scope, body)
        if plain is None:
            await self.app(scope, _replay(body, receive), send)
            return
        token, idempotency_key, order_request = plain
        # The timing middleware labels the request with the route's template.
        scope["route"] = _ROUTE
        services: Services = scope["app"].state.services
        try:
            # Starlette's Request (a few µs per buy) only where the limit needs the address.
            if services.rate_limiter.limits("orders"):
                await services.rate_limiter.take("orders", Request(scope))
            orders, probe, replayable = services.commerce.orders, None, None
            # A buy the sold-out gate holds refused needs the session and one more read (did its
            # Idempotency-Key make an order?): both in one round trip. A bad token is refused
            # here as ``authenticate`` refuses it, before anything else is read.
            if orders.held_refused(order_request):
                customer = services.sessions.verify_token(token)
                probe = orders.replay_record(customer, idempotency_key)
            if probe is None:
                session = await services.sessions.authenticate(token)
            else:
                session, replayable = await services.sessions.authenticate_probing(token, probe)
            order, created = await place_order(
                services.commerce, session.session_id, idempotency_key, order_request, replayable
            )
        except LivebuyError as error:
            headers = []
            if isinstance(error, TooManyRequestsError):
                headers.append((b"retry-after", str(error.details["retry_after_s"]).encode()))
            await _send(send, error.http_status, orjson.dumps({"error": error.to_json()}), headers)
            return
        await _send(send, 201 if created else 200, orjson.dumps(order), [])


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            # The client went away; the route would read the same (an empty body).
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the route the body already read, then the client's own events."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _plain(scope: Scope, body: bytes) -> tuple[str, str | None, OrderRequest] | None:
    """Token, Idempotency-Key and body of a request the route would accept as is; else None.

    Headers are read as the route reads them: the first of each name, latin-1.
    """
    content_type = authorization = idempotency_key = None
    for name, value in scope["headers"]:
        if name == b"content-type" and content_type is None:
            content_type = value
        elif name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"idempotency-key" and idempotency_key is None:
            idempotency_key = value
    if content_type is None or content_type.lower() != _JSON or authorization is None:
        return None
    # FastAPI's HTTPBearer: "<scheme> <credentials>", the scheme in any case.
    scheme, _, credentials = authorization.decode("latin-1").partition(" ")
    token = credentials.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        order_request = OrderRequest.model_validate_json(body)
    except ValidationError:
        return None
    key = None if idempotency_key is None else idempotency_key.decode("latin-1")
    return token, key, order_request


async def _send(
    send: Send, status: int, content: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    """The answer as FastAPI's JSON responses write it (length, then type, then the rest)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", b"%d" % len(content)),
                (b"content-type", _JSON),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
