"""Chat test helpers: sessions, a viewer that collects chat frames, producer calls."""

from __future__ import annotations

import json
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.servers import PRODUCER_TOKEN, LiveServer, receive_json

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]
PRODUCER = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}


async def new_session(server: LiveServer, name: str | None = None) -> dict[str, Any]:
    """A guest viewer session (token, session_id, handle, display_name)."""
    async with server.http() as client:
        response = await client.post("/api/sessions", json={"display_name": name} if name else None)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


async def staff_session(server: LiveServer, name: str, role: str = "host") -> dict[str, Any]:
    """A host or moderator session, created with the producer token."""
    async with server.http() as client:
        response = await client.post(
            "/api/staff-sessions", json={"display_name": name, "role": role}, headers=PRODUCER
        )
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


async def send(ws: ClientConnection, frame_type: str, **data: Any) -> None:
    """Send one client frame."""
    await ws.send(json.dumps({"type": frame_type, "data": data}))


async def chat(ws: ClientConnection, text: str) -> dict[str, Any]:
    """Post ``text`` and return the answer (``chat_ack`` or ``error``), skipping show frames."""
    await send(ws, "chat", text=text)
    return await next_reply(ws)


# Show frames a client skipped while waiting for a reply, kept for ``chat_texts_until``.
_skipped: weakref.WeakKeyDictionary[ClientConnection, list[dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


async def next_reply(ws: ClientConnection) -> dict[str, Any]:
    """The next control frame meant for this client; show frames met meanwhile are kept."""
    while True:
        frame = await receive_json(ws)
        if frame["type"] in {"chat_ack", "error", "auth_ok", "pong"}:
            return frame
        _skipped.setdefault(ws, []).append(frame)


async def chat_texts_until(
    ws: ClientConnection, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Collect ``chat`` frames until ``done(frames)`` holds (each wait bounded by TIMEOUT_S)."""
    pending = _skipped.pop(ws, [])
    frames: list[dict[str, Any]] = []
    while not done(frames):
        frame = pending.pop(0) if pending else await receive_json(ws)
        if frame["type"] == "chat":
            frames.append(frame)
    _skipped[ws] = pending
    return frames


def texts(frames: list[dict[str, Any]]) -> list[str]:
    """Every message text in ``chat`` frames, in order."""
    return [message["text"] for frame in frames for message in frame["data"]["messages"]]
