"""Request URL and body limits, checked before any handler runs (pure ASGI, websockets untouched).

Headers are capped earlier, at the parser (``livebuy/http_parser.py``): by the time a request
reaches ASGI its headers are already in memory.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livebuy.api.errors import error_body, send_json


class BodyTooLargeError(HTTPException):
    """A streamed body went over the limit while a handler read it (mapped to a JSON 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


class RequestLimitMiddleware:
    """414 for a URL over ``max_url_bytes``; 413 for a body over ``max_body_bytes``.

    A declared ``Content-Length`` over the limit is refused before the handler runs; a chunked
    body is counted as it is read and refused as soon as it goes over.
    """

    def __init__(self, app: ASGIApp, *, max_url_bytes: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope["query_string"]
        )
        if url_bytes > self.max_url_bytes:
            message = f"path and query over {self.max_url_bytes} bytes"
            await send_json(send, 414, error_body("uri_too_long", message), [])
            return
        limit = self.max_body_bytes
        if _declared_length(scope) > limit:
            message = f"request body over {limit} bytes"
            await send_json(send, 413, error_body("payload_too_large", message), [])
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, receive_within_limit, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # The HTTP parser has already refused a Content-Length that is not a number.
            return int(value) if value.isdigit() else 0
    return 0
