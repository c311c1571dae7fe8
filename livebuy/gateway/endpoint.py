"""``/ws/shows/{show_id}``: join (snapshot) or resume (``since``), then live frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
from collections.abc import Awaitable
from typing import assert_never

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from livebuy import metrics
from livebuy.analytics.funnel import FunnelService
from livebuy.chat.channel import ChatChannel
from livebuy.clock import now_ms
from livebuy.errors import DrainingError, LivebuyError, ShowNotFoundError, UnauthorizedError
from livebuy.events.frames import encode_data, encode_frame
from livebuy.events.stream import ShowStream
from livebuy.games.presence import ShowPresence
from livebuy.gateway.connection import ViewerConnection
from livebuy.gateway.console_auth import authorise_console
from livebuy.gateway.control import AuthOkData, ErrorData
from livebuy.gateway.fastpath import RAW_SOCKET, RawSocket
from livebuy.gateway.frames import Frame
from livebuy.gateway.protocol import (
    CONSOLE,
    ROLES,
    VIEWER,
    AnyClientFrame,
    AuthFrame,
    CardSeenFrame,
    ChatFrame,
    ClientFrame,
    CloseCode,
    PingFrame,
    ReactFrame,
)
from livebuy.gateway.snapshot import JoinSnapshots
from livebuy.services import services_of
from livebuy.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter()
_client_frame: TypeAdapter[AnyClientFrame] = TypeAdapter(ClientFrame)
_PID = str(os.getpid()).encode()
# The route's path, as Starlette's router matches ``{show_id}`` (one non-empty path segment).
_SHOW_SOCKET_PATH = re.compile(r"/ws/shows/([^/]+)")


def _origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    # CORS middleware does not cover websockets; browsers always send Origin, other clients may not.
    origin = websocket.headers.get("origin")
    return origin is None or origin in settings.gateway.allowed_origins


def _control_frame(connection: ViewerConnection, frame_type: str, data_json: str) -> Frame:
    now = now_ms()
    return Frame.of(encode_frame(frame_type, connection.last_seq, now, now, data_json))


def _error_frame(connection: ViewerConnection, code: str, message: str) -> Frame:
    metrics.CLIENT_ERRORS.labels(code).inc()
    return _control_frame(connection, "error", ErrorData(code=code, message=message).data_json())


@router.websocket("/ws/shows/{show_id}")
async def show_socket(websocket: WebSocket, show_id: str) -> None:
    """Push a show to one viewer. Query: ``since`` (last seq seen) and ``epoch`` to resume;
    ``token`` (a viewer session) to chat and react (or send an ``auth`` frame later)."""
    services = services_of(websocket)
    settings = services.settings
    if services.drain.draining:
        # Before the upgrade: an HTTP answer a balancer or client retries elsewhere.
        error = DrainingError("this gateway is shutting down: connect to another one")
        await websocket.send_denial_response(
            JSONResponse(
                {"error": error.to_json()},
                status_code=error.http_status,
                headers={"Retry-After": "1"},
            )
        )
        raw: RawSocket | None = websocket.scope.get(RAW_SOCKET)
        if raw is not None:
            raw.denied()
        return
    if not _origin_allowed(websocket, settings):
        await websocket.close(CloseCode.POLICY, "origin not allowed")
        return
    # Which process took the viewer: with ``serve --workers N`` every worker shares the port.
    await websocket.accept(headers=[(b"x-livebuy-pid", _PID)])
    accepted: RawSocket | None = websocket.scope.get(RAW_SOCKET)
    if accepted is not None:
        accepted.accepted()
    try:
        await _serve_viewer(websocket, show_id, settings)
    except RedisError:
        # Redis is down or saturated: say so with a code the client retries on, never a bare drop.
        log.exception("viewer join failed on Redis", extra={"show_id": show_id})
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close(CloseCode.SERVER_ERROR, "temporarily unavailable: reconnect")


def direct_show_socket(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> Awaitable[None] | None:
    """``show_socket`` for a show socket's scope, without the app's middleware and router (for
    ``PushFastPath``'s ``direct``); None for any other scope.

    Those layers do nothing for this route (the middleware passes websockets through; the route
    has no dependencies), but their frames would stay alive as long as the viewer does. The scope
    gets what the router would have set and the endpoint reads: the app and the path parameter.
    """
    if scope["type"] != "websocket" or scope.get("root_path"):
        return None
    match = _SHOW_SOCKET_PATH.fullmatch(scope["path"])
    if match is None:
        return None
    show_id = match.group(1)
    scope["app"] = app
    scope["path_params"] = {"show_id": show_id}
    return show_socket(WebSocket(scope, receive, send), show_id)


async def _serve_viewer(websocket: WebSocket, show_id: str, settings: Settings) -> None:
    """Everything after the handshake: checks, join or resume, then frames both ways."""
    services = services_of(websocket)
    shows = services.shows
    stream = services.stream
    hubs = services.hubs
    since_raw = websocket.query_params.get("since")
    epoch = websocket.query_params.get("epoch")
    if since_raw is not None and not (since_raw.isdigit() and len(since_raw) < 19):
        await websocket.close(CloseCode.POLICY, "since must be a non-negative integer")
        return
    role = websocket.query_params.get("role", VIEWER)
    if role not in ROLES:
        await websocket.close(CloseCode.POLICY, "role must be 'viewer' or 'console'")
        return
    if role == CONSOLE and not await authorise_console(websocket, settings):
        return
    try:
        await shows.get(show_id)
    except ShowNotFoundError:
        if not await services.recovery.content_loaded():
            # Redis lost its data and the shows are being reloaded: not an unknown show.
            services.recovery.check_soon()
            await websocket.close(CloseCode.RESTARTING, "show data is reloading: reconnect")
            return
        await websocket.close(CloseCode.UNKNOWN_SHOW, f"unknown show '{show_id}'")
        return
    channel = ChatChannel(show_id, services.chat, services.sessions)
    token = websocket.query_params.get("token")
    if token is not None:
        try:
            session = await channel.authenticate(token)
            await services.presence.seen(show_id, session.session_id)
        except UnauthorizedError as error:
            await websocket.close(CloseCode.UNAUTHORIZED, error.message)
            return
    services.chat_batchers.ensure(show_id)

    hub = await hubs.hub(show_id)
    connection = ViewerConnection(
        websocket,
        max_frames=settings.gateway.send_queue_frames,
        max_bytes=settings.gateway.send_queue_bytes,
        close_timeout_s=settings.gateway.ws_slow_close_s,
    )
    # Join the hub before reading Redis: every live frame after that read is then queued, and the
    # writer drops queued frames the snapshot or history already covered (seq <= last_seq).
    hub.add(connection, audience=role == VIEWER)
    writer: asyncio.Task[None] | None = None
    try:
        await _send_initial(connection, services.snapshots, stream, show_id, since_raw, epoch)
        if connection.restarted_while_joining:
            # The show's history was lost while this viewer joined: it may hold either history.
            await websocket.close(CloseCode.RESTARTING, "show history was lost: reconnect")
            return
        connection.start()
        writing = connection.writer()
        if writing is not None:
            writer = asyncio.create_task(writing)
        signals = CardSignals(services.funnel, show_id)
        await _receive(connection, writer, channel, signals, services.presence)
        if connection.too_slow:
            metrics.SLOW_CLOSES.inc()
    except WebSocketDisconnect:
        pass
    finally:
        hub.remove(connection)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await writer


async def _send_initial(
    connection: ViewerConnection,
    snapshots: JoinSnapshots,
    stream: ShowStream,
    show_id: str,
    since_raw: str | None,
    epoch: str | None,
) -> None:
    """Snapshot for a new viewer; the missed frames for a resuming one, or a snapshot if lost."""
    if since_raw is not None:
        history = await stream.history(show_id, int(since_raw), epoch)
        if history.complete:
            for _, frame in history.frames:
                await connection.websocket.send_text(frame)
            connection.last_seq = history.position.seq
            return
    position, data = await snapshots.build(show_id)
    if since_raw is not None:
        data = data.model_copy(update={"recovered": False})
    now = now_ms()
    await connection.websocket.send_text(
        encode_frame("snapshot", position.seq, now, now, data.data_json())
    )
    connection.last_seq = position.seq


class CardSignals:
    """What a viewer's ``card_seen`` frames count: per session, or per connection without one."""

    __slots__ = ("_anonymous", "_funnel", "_show_id")

    def __init__(self, funnel: FunnelService, show_id: str) -> None:
        self._funnel = funnel
        self._show_id = show_id
        # A viewer that never signed in is counted per connection (a reconnect counts again).
        self._anonymous = f"anon:{secrets.token_hex(8)}"

    async def card_seen(self, channel: ChatChannel, cue_id: str, variant: str | None) -> None:
        """Count the card of ``cue_id`` as shown to this viewer (raises ``UnknownCueError``).

        ``variant`` is what the page says it drew; only a session has an A/B assignment.
        """
        session = channel.session
        viewer = self._anonymous if session is None else session.session_id
        await self._funnel.card_seen(self._show_id, cue_id, viewer, session is not None, variant)


async def _receive(
    connection: ViewerConnection,
    writer: asyncio.Task[None] | None,
    channel: ChatChannel,
    signals: CardSignals,
    presence: ShowPresence,
) -> None:
    """Read client frames until the viewer leaves or is closed: by the ASGI ``writer`` ending,
    or, on a raw transport (no writer), by the disconnect its close puts in the read queue."""
    websocket = connection.websocket
    if writer is None:
        while (message := await websocket.receive())["type"] != "websocket.disconnect":
            await _handle_client_frame(connection, channel, signals, presence, message.get("text"))
        return
    receiving = asyncio.ensure_future(websocket.receive())
    try:
        while True:
            done, _ = await asyncio.wait({receiving, writer}, return_when=asyncio.FIRST_COMPLETED)
            if writer in done:
                return
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                return
            await _handle_client_frame(connection, channel, signals, presence, message.get("text"))
            receiving = asyncio.ensure_future(websocket.receive())
    finally:
        receiving.cancel()


async def _handle_client_frame(
    connection: ViewerConnection,
    channel: ChatChannel,
    signals: CardSignals,
    presence: ShowPresence,
    text: str | None,
) -> None:
    if text is None:
        connection.deliver(
            None, [_error_frame(connection, "binary_frame", "send JSON text frames")]
        )
        return
    try:
        frame = _client_frame.validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "frame"
        message = f"malformed frame: {where}: {first['msg']}"
        connection.deliver(None, [_error_frame(connection, "malformed_frame", message)])
        return
    # Refusals (bad text, rate limits, no session) are error frames; the connection stays. Every
    # member of the client frame union has a case: a new frame type unhandled is a mypy error.
    try:
        match frame:
            case PingFrame():
                # The echo goes through orjson, which writes non-finite numbers as null.
                pong = _control_frame(connection, "pong", encode_data(frame.data))
                connection.deliver(None, [pong])
                if channel.session is not None:
                    # Games' "watching now": a signed-in viewer's pings keep its presence fresh.
                    # A Redis error here only delays that; the ping was answered.
                    with contextlib.suppress(RedisError):
                        await presence.seen(channel.show_id, channel.session.session_id)
            case AuthFrame():
                session = await channel.authenticate(frame.data.token)
                await presence.seen(channel.show_id, session.session_id)
                reply = AuthOkData(handle=session.handle, display_name=session.display_name)
                connection.deliver(None, [_control_frame(connection, "auth_ok", reply.data_json())])
            case ChatFrame():
                stored = await channel.chat(frame.data.text)
                # The ack goes before any further await: the next chat batch may already carry
                # this message, and the sender must learn it is theirs first.
                ack = _control_frame(connection, "chat_ack", stored.model_dump_json())
                connection.deliver(None, [ack])
                if channel.session is not None:
                    await presence.chatted(channel.show_id, channel.session.session_id)
            case CardSeenFrame():
                await signals.card_seen(channel, frame.data.cue_id, frame.data.variant)
            case ReactFrame():
                await channel.react(frame.data.kind)
            case _:
                assert_never(frame)
    except LivebuyError as error:
        metrics.CLIENT_ERRORS.labels(error.code).inc()
        data = ErrorData.model_validate(error.to_json()).data_json()
        connection.deliver(None, [_control_frame(connection, "error", data)])
    except RedisError:
        log.exception("client frame failed on Redis")
        message = "chat is unavailable right now: try again"
        connection.deliver(None, [_error_frame(connection, "unavailable", message)])
