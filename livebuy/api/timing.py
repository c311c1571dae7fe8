"""HTTP request duration per route template (pure ASGI, websockets untouched).

Labelled by the template the router matched (``/api/orders/{order_id}``), never the raw path, so
the number of series stays that of the routes whatever clients send.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livebuy import metrics

UNMATCHED = "unmatched"


class TimingMiddleware:
    """Observes ``livebuy_http_request_seconds`` for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            # The router writes the route it matched into the scope it was handed.
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            metrics.HTTP_SECONDS.labels(scope["method"], template, f"{status // 100}xx").observe(
                time.perf_counter() - started
            )
