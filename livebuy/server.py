"""How livebuy runs under uvicorn: websocket limits and keepalive come from the settings."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from livebuy.gateway.fastpath import PushFastPath
from livebuy.settings import Settings


def uvicorn_config(app: FastAPI, settings: Settings, *, port: int | None = None) -> uvicorn.Config:
    """The uvicorn configuration every entry point (CLI, tests) uses.

    ``permessage-deflate`` is off: it costs CPU on every delivery and invites compression bombs.
    Client frames over ``max_client_frame_bytes`` are refused by the protocol with close 1009.
    ``PushFastPath`` lets the gateway write pre-built frames straight to each viewer's transport.

    Keepalive is the hub's (one pre-built ping written to every viewer in its fan-out loop, see
    ``gateway/hub.py``), not uvicorn's timer, ping and pong bookkeeping per connection; a peer that
    stops acknowledging is closed by the kernel (``TCP_USER_TIMEOUT``).
    """
    user_timeout_ms = None
    if settings.ws_ping_interval_s > 0:
        user_timeout_ms = int((settings.ws_ping_interval_s + settings.ws_ping_timeout_s) * 1000)
    send_buffer_bytes = settings.ws_kernel_send_buffer_bytes or None
    return uvicorn.Config(
        PushFastPath(app, user_timeout_ms=user_timeout_ms, send_buffer_bytes=send_buffer_bytes),
        host=settings.host,
        port=settings.port if port is None else port,
        ws="websockets-sansio",
        ws_max_size=settings.max_client_frame_bytes,
        ws_per_message_deflate=False,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
