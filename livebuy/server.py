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
    """
    return uvicorn.Config(
        PushFastPath(app),
        host=settings.host,
        port=settings.port if port is None else port,
        ws="websockets-sansio",
        ws_max_size=settings.max_client_frame_bytes,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval_s,
        ws_ping_timeout=settings.ws_ping_timeout_s,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
