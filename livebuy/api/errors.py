"""Every HTTP error leaves as JSON ``{"error": {"code", "message", ...}}``, with a request id.

``install_error_handlers`` maps the errors raised on purpose (livebuy's tree, validation,
Starlette's 404/405). ``ErrorMiddleware`` is the last line: it names each request (``X-Request-Id``)
and turns anything unexpected into a JSON 503 (Redis unreachable, with ``Retry-After``) or 500
(``internal_error``, with the request id that is also in the log line), never a text traceback.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis import exceptions as redis_errors
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livebuy.errors import LivebuyError

logger = logging.getLogger("livebuy.http")

REQUEST_ID_HEADER = "X-Request-Id"
# A caller's id is kept only if it is short and harmless in a header and a log line.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# How long a client should wait before retrying while Redis is unreachable.
RETRY_AFTER_S = 1

# Redis down, restarting, failing over or refusing writes: the same request may work shortly.
# Anything else redis-py raises (a wrong argument, a script error) is a bug here: 500, not 503.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    redis_errors.ClusterDownError,
    redis_errors.TryAgainError,
    redis_errors.MasterDownError,
)


def error_body(code: str, message: str, **details: object) -> dict[str, Any]:
    """The body every HTTP error shares."""
    return {"error": {"code": code, "message": message, **details}}


def _error(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **details: object,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **details), status_code=status, headers=headers)


_HTTP_CODES = {
    400: "malformed_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
}


def install_error_handlers(app: FastAPI) -> None:
    """Map livebuy's errors, validation errors and Starlette's HTTP errors to JSON."""

    @app.exception_handler(LivebuyError)
    async def livebuy_error(_: Request, error: LivebuyError) -> JSONResponse:
        return JSONResponse({"error": error.to_json()}, status_code=error.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]}
            for e in error.errors()
        ]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        message = f"{first['field']}: {first['message']}"
        return _error(422, "invalid_input", message, problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code, "http_error")
        # A 405 keeps its Allow header (RFC 9110 requires it).
        return _error(error.status_code, code, str(error.detail), headers=error.headers)


def http_error_parts(
    error: StarletteHTTPException,
) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
    """Status, body and headers of ``error`` as the app's handler answers it, for pure ASGI code."""
    code = _HTTP_CODES.get(error.status_code, "http_error")
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (error.headers or {}).items()
    ]
    return error.status_code, error_body(code, str(error.detail)), headers


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_REQUEST_ID.match(text) else None
    return None


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        # Concurrent Redis calls (a task group) fail together when Redis goes away.
        return all(_is_outage(inner) for inner in error.exceptions)
    if isinstance(error, OUTAGE_ERRORS):
        return True
    # redis-py may wrap the socket error; the cause tells the outage apart from a bug.
    cause = error.__cause__ or error.__context__
    return isinstance(error, redis_errors.RedisError) and isinstance(cause, OUTAGE_ERRORS)


class ErrorMiddleware:
    """Pure ASGI: ``X-Request-Id`` on every HTTP response, JSON instead of any unhandled error.

    It sits inside Starlette's ``ServerErrorMiddleware`` and swallows what it answers, so that one
    never prints its text "Internal Server Error" or re-raises a traceback into uvicorn's log.
    Websockets pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("latin-1"))
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            outage = _is_outage(error)
            log_fields = {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "error_type": type(error).__name__,
            }
            if outage:
                logger.warning("redis unavailable: %s", error, extra=log_fields)
            else:
                logger.exception("unexpected error", extra=log_fields)
            if started:
                # Too late for an error response; uvicorn closes the connection.
                raise
            if outage:
                body = error_body(
                    "unavailable",
                    "a backing service is unavailable: retry shortly",
                    request_id=request_id,
                    retry_after_ms=RETRY_AFTER_S * 1000,
                )
                await send_json(send_with_id, 503, body, [(b"retry-after", b"%d" % RETRY_AFTER_S)])
            else:
                body = error_body(
                    "internal_error", "unexpected server error", request_id=request_id
                )
                await send_json(send_with_id, 500, body, [])


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    """Answer a whole JSON response on a raw ASGI ``send``."""
    content = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(content)),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
