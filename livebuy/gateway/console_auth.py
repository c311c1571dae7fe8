"""A ``role=console`` socket proves it is the producer's with its first frame.

The token travels in a frame, not the URL: URLs end up in proxy and access logs. A browser cannot
set headers on a websocket, so a frame is also the one thing the console page can do.
"""

from __future__ import annotations

import asyncio
import secrets

from fastapi import WebSocket
from pydantic import ValidationError

from livebuy.gateway.protocol import AuthFrame, CloseCode
from livebuy.settings import Settings

_FIRST_FRAME = 'console: send {"type": "auth", "data": {"token": <producer token>}} first'


async def authorise_console(websocket: WebSocket, settings: Settings) -> bool:
    """Whether the socket's first frame is an ``auth`` frame with the producer token.

    Otherwise the socket is closed: 4401 when no such frame arrives within
    ``console_auth_timeout_s`` (or another frame comes first), 1008 when the token is wrong.
    """
    try:
        async with asyncio.timeout(settings.gateway.console_auth_timeout_s):
            message = await websocket.receive()
    except TimeoutError:
        await websocket.close(CloseCode.UNAUTHORIZED, _FIRST_FRAME)
        return False
    if message["type"] == "websocket.disconnect":
        return False
    try:
        frame = AuthFrame.model_validate_json(message.get("text") or "")
    except ValidationError:
        await websocket.close(CloseCode.UNAUTHORIZED, _FIRST_FRAME)
        return False
    expected = settings.security.producer_token.get_secret_value().encode()
    if not secrets.compare_digest(frame.data.token.encode(), expected):
        await websocket.close(CloseCode.POLICY, "console: wrong producer token")
        return False
    return True
