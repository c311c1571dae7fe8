"""How livebuy runs under uvicorn: websocket limits and keepalive come from the settings, and
SIGTERM drains (``livebuy/drain.py``) before uvicorn's own shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Awaitable, Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from livebuy.drain import drain_app
from livebuy.gateway.endpoint import direct_show_socket
from livebuy.gateway.fastpath import PushFastPath
from livebuy.gc_tuning import settle_after_startup
from livebuy.http_parser import head_limited_protocol
from livebuy.settings import Settings

log = logging.getLogger(__name__)


def uvicorn_config(app: FastAPI, settings: Settings, *, port: int | None = None) -> uvicorn.Config:
    """The uvicorn configuration every entry point (CLI, tests) uses.

    ``permessage-deflate`` is off: it costs CPU on every delivery and invites compression bombs.
    Client frames over ``max_client_frame_bytes`` are refused by the protocol with close 1009.
    ``PushFastPath`` lets the gateway write pre-built frames straight to each viewer's transport,
    and serves the show socket without the app's middleware and router (``direct_show_socket``).

    Keepalive is the hub's (one pre-built empty pong written to every viewer of a quiet show in its
    fan-out loop, see ``gateway/hub.py``), not uvicorn's timer, ping and pong bookkeeping per connection; a peer that
    stops acknowledging is closed by the kernel (``TCP_USER_TIMEOUT``).

    HTTP is httptools with a cap on each request's head (``max_header_bytes``: 431 and close, see
    ``http_parser.py``); the h11 limit is set too, should anyone switch to h11.
    """
    user_timeout_ms = None
    if settings.gateway.ws_ping_interval_s > 0:
        user_timeout_ms = int(
            (settings.gateway.ws_ping_interval_s + settings.gateway.ws_ping_timeout_s) * 1000
        )
    send_buffer_bytes = settings.gateway.ws_kernel_send_buffer_bytes or None
    asgi_app: ASGIApp = app
    if settings.gateway.ws_fast_path:

        def direct(scope: Scope, receive: Receive, send: Send) -> Awaitable[None] | None:
            return direct_show_socket(app, scope, receive, send)

        asgi_app = PushFastPath(
            app,
            user_timeout_ms=user_timeout_ms,
            send_buffer_bytes=send_buffer_bytes,
            direct=direct,
        )
    return uvicorn.Config(
        asgi_app,
        host=settings.server.host,
        port=settings.server.port if port is None else port,
        http=head_limited_protocol(settings.limits.max_header_bytes),
        h11_max_incomplete_event_size=settings.limits.max_header_bytes,
        ws="websockets-sansio",
        ws_max_size=settings.gateway.max_client_frame_bytes,
        ws_per_message_deflate=False,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        lifespan="on",
        log_config=None,
        access_log=False,
        # The client address stays the socket peer; livebuy's rate limits decide which proxies'
        # X-Forwarded-For to believe (LIVEBUY_TRUSTED_PROXIES), not uvicorn's default of 127.0.0.1.
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


class DrainingServer(uvicorn.Server):
    """uvicorn whose first SIGTERM or SIGINT runs ``drain`` (the gateway's graceful drain) and
    only then shuts down; a second signal shuts down at once (uvicorn's own handling)."""

    def __init__(self, config: uvicorn.Config, drain: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self._drain = drain
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_requested = False
        self._draining: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up; the loop is noted for the signal handler, and once the app has
        started, the garbage collector is set for serving (``gc_tuning``)."""
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)
        settle_after_startup()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Drain on the first signal once started; otherwise (or again) uvicorn's shutdown."""
        if self._loop is None or not self.started or self._drain_requested or self.should_exit:
            super().handle_exit(sig, frame)
            return
        self._drain_requested = True
        # Re-raised by uvicorn once it has shut down, as for its own handling.
        self._captured_signals.append(sig)
        log.info("%s: draining before shutdown", signal.Signals(sig).name)
        self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        self._draining = asyncio.create_task(self._drain_then_exit(), name="drain")

    async def _drain_then_exit(self) -> None:
        try:
            await self._drain()
        except Exception:
            log.exception("drain failed; shutting down now")
        finally:
            self.should_exit = True


def draining_server(app: FastAPI, settings: Settings) -> DrainingServer:
    """The server every entry point runs: ``uvicorn_config`` and the app's drain on SIGTERM."""
    return DrainingServer(uvicorn_config(app, settings), lambda: drain_app(app))
