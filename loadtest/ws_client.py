"""A show websocket for Locust users: ``websocket-client`` on gevent-patched sockets.

Locust monkey-patches ``socket`` at import, so ``recv`` only parks the calling greenlet; each viewer
reads in its own greenlet and the other users keep running. Every received frame is reported to
Locust's statistics as request type ``WS`` named after the frame type, with response time =
receive time − the frame's ``ts`` (push latency); a gap in ``seq`` is reported as a failure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import gevent
import websocket
from locust.env import Environment

from loadtest.config import WS
from loadtest.frames import FrameReport, FrameTracker, reconnect_delay_s, resume_url
from loadtest.stats import report

FrameHandler = Callable[[FrameReport], None]
EXPECTED_ERROR_CODES = frozenset({"rate_limited"})
RESTARTING = 1012


class SeqGapError(Exception):
    """Frames were missing (or repeated) between two received frames."""


class ServerErrorFrame(Exception):
    """The server sent an ``error`` frame."""


class UnexpectedCloseError(Exception):
    """The server closed a connection the user still wanted."""


class ShowSocket:
    """One viewer connection to ``/ws/shows/{show_id}``, read by its own greenlet."""

    def __init__(self, environment: Environment, url: str, on_frame: FrameHandler | None) -> None:
        self._environment = environment
        self._url = url
        self._on_frame = on_frame
        self._ws: websocket.WebSocket | None = None
        self._reader: gevent.Greenlet | None = None
        self._closing = False
        self.tracker = FrameTracker()

    def _fire(self, name: str, response_time: float, length: int, error: Exception | None) -> None:
        report(self._environment, WS, name, response_time, length, error)

    def connect(self) -> None:
        """Open the connection (reported as ``WS connect``) and start reading."""
        started = time.perf_counter()
        try:
            # No Origin: the server allow-lists browser origins, and this is not a browser.
            self._ws = websocket.create_connection(
                self._url, timeout=30, enable_multithread=True, suppress_origin=True
            )
        except Exception as error:  # every failure counts as a failed connect
            self._fire("connect", (time.perf_counter() - started) * 1000, 0, error)
            raise
        self._fire("connect", (time.perf_counter() - started) * 1000, 0, None)
        self._reader = gevent.spawn(self._read)

    def send_json(self, frame: dict[str, Any]) -> None:
        """Send one client frame."""
        if self._ws is not None and self._ws.connected:
            self._ws.send(json.dumps(frame))

    def _read(self) -> None:
        ws = self._ws
        assert ws is not None
        ws.settimeout(None)
        while True:
            try:
                opcode, raw = ws.recv_data(control_frame=True)
            except Exception as lost:  # any end of the stream ends the reader
                if not self._closing:
                    self._fire("closed", 0, 0, UnexpectedCloseError(repr(lost)))
                return
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self._closed_by_server(raw)
                return
            if opcode not in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                continue
            frame = self.tracker.receive(raw, time.time() * 1000)
            if frame.gap:
                self._fire("seq_gap", frame.latency_ms, 0, SeqGapError(f"{frame.gap} missing"))
            name, failure = frame.frame_type, None
            if frame.frame_type == "error":
                code = str(frame.data.get("code"))
                name = f"error:{code}"
                # Rate limiting is the server pushing back as designed, not a failure.
                if code not in EXPECTED_ERROR_CODES:
                    failure = ServerErrorFrame(code)
            self._fire(name, frame.latency_ms, frame.size, failure)
            if self._on_frame is not None:
                self._on_frame(frame)

    def _closed_by_server(self, payload: bytes) -> None:
        """A close frame: 1012 (a gateway draining) resumes after the hinted delay, as the
        viewer page does; any other close is a failure."""
        if self._closing:
            return
        code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
        reason = payload[2:].decode(errors="replace")
        if code != RESTARTING:
            self._fire("closed", 0, 0, UnexpectedCloseError(f"server closed: {code} {reason}"))
            return
        self._fire("restart", 0, 0, None)
        gevent.sleep(reconnect_delay_s(reason))
        self._url = resume_url(self._url, self.tracker.resume_query())
        try:
            self.connect()
        except Exception:  # reported by connect as a failed connect
            return

    def close(self) -> None:
        """Close the connection on purpose (not reported as a failure)."""
        self._closing = True
        if self._ws is not None:
            self._ws.close()
        if self._reader is not None:
            self._reader.kill(block=False)
