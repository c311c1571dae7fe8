"""Locust users of a show: ``Viewer`` watches, ``Chatter`` also talks, ``Buyer`` taps on a deal."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from gevent.event import Event
from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

from loadtest.config import ORDER, LoadTestConfig
from loadtest.frames import FrameReport
from loadtest.stats import report
from loadtest.ws_client import ShowSocket

CONFIG = LoadTestConfig.from_env()
REACTION_KINDS = ("heart", "fire", "clap")
# Answers that are a business outcome of a tap (sold out, limit reached, ...), not a failure.
EXPECTED_ORDER_STATUSES = frozenset({200, 201, 400, 403, 409, 422, 429})


def ws_url(host: str, show_id: str, token: str | None = None) -> str:
    """The show's websocket URL on ``host`` (``http://`` → ``ws://``), with the session token."""
    base = host.replace("https://", "wss://", 1).replace("http://", "ws://", 1).rstrip("/")
    return f"{base}/ws/shows/{show_id}" + (f"?token={token}" if token else "")


class Viewer(FastHttpUser):
    """Opens a session, joins the show and keeps watching; every frame lands in the stats."""

    weight = 3
    wait_time = constant(1)

    def on_start(self) -> None:
        """Session first (chat and buying need it), then the websocket."""
        self.token = self._create_session()
        self.socket = ShowSocket(
            self.environment, ws_url(self.host or "", CONFIG.show_id, self.token), self.on_frame
        )
        self.socket.connect()

    def on_stop(self) -> None:
        """Leave the show."""
        self.socket.close()

    def _create_session(self) -> str | None:
        with self.client.post("/api/sessions", json={}, catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"session: {response.status_code}")
                return None
            token: str = response.json()["token"]
            return token

    def on_frame(self, frame: FrameReport) -> None:
        """Called for every frame, in the reader greenlet; subclasses react to some."""

    @task
    def watch(self) -> None:
        """Watching is receiving: the reader greenlet does the work, the task only keeps the user."""


class Chatter(Viewer):
    """A viewer that posts chat and reactions at ``chat_rate`` messages per second."""

    weight = 1

    def wait_time(self) -> float:
        """Pacing for ``chat_rate`` (a little jitter so chatters do not move in lockstep)."""
        pace = 1.0 / CONFIG.chat_rate
        return float(between(pace * 0.8, pace * 1.2)(self))

    @task(3)
    def chat(self) -> None:
        """Post one chat message."""
        self.socket.send_json({"type": "chat", "data": {"text": f"love it {uuid.uuid4().hex[:6]}"}})

    @task(1)
    def react(self) -> None:
        """Send one reaction."""
        kind = REACTION_KINDS[int(time.monotonic() * 1000) % len(REACTION_KINDS)]
        self.socket.send_json({"type": "react", "data": {"kind": kind}})


class Buyer(Viewer):
    """Watches until a ``deal_start``, then buys one unit with an idempotency key (once per deal).

    Each tap is reported as ``ORDER`` / outcome (``ordered``, ``out_of_stock``, ...) with the
    order's latency; a 5xx or an answer without an error code is a failure.
    """

    weight = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        """Watch like a viewer, with an empty list of deals to buy."""
        self._deals: list[dict[str, Any]] = []
        self._deal_started = Event()
        self._bought: set[str] = set()
        super().on_start()

    def on_frame(self, frame: FrameReport) -> None:
        """Remember each deal as it starts and wake the buying task."""
        if frame.frame_type == "cue" and frame.data.get("kind") == "deal_start":
            self._deals.append(frame.data)
            self._deal_started.set()

    @task
    def buy(self) -> None:
        """Wait for a deal, then tap."""
        if not self._deal_started.wait(timeout=1):
            return
        self._deal_started.clear()
        while self._deals:
            deal = self._deals.pop(0)
            if deal.get("deal_id") not in self._bought:
                self._bought.add(str(deal.get("deal_id")))
                self.order(deal)

    def order(self, deal: dict[str, Any]) -> None:
        """``POST /api/orders`` for one unit of the deal's first variant."""
        order_deal(self, deal)


def order_deal(user: Viewer, deal: dict[str, Any]) -> str:
    """``POST /api/orders`` for one unit of the deal's first variant, as ``user``; reported as
    ``ORDER`` / outcome; returns the outcome."""
    variants = (deal.get("product") or {}).get("variants") or [{}]
    body = {
        "sku": variants[0].get("sku"),
        "quantity": 1,
        "show_id": CONFIG.show_id,
        "deal_id": deal.get("deal_id"),
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if user.token:
        headers["Authorization"] = f"Bearer {user.token}"
    started = time.perf_counter()
    with user.client.post(
        "/api/orders", json=body, headers=headers, catch_response=True
    ) as response:
        outcome, error = _order_outcome(response.status_code, response.text)
        if error is None:
            response.success()
        else:
            response.failure(error)
    report(
        user.environment,
        ORDER,
        outcome,
        (time.perf_counter() - started) * 1000,
        error=None if error is None else RuntimeError(error),
    )
    return outcome


def _order_outcome(status: int, text: str | None) -> tuple[str, str | None]:
    """The outcome name of an order answer, and an error message when it is a failure."""
    if status == 201:
        return "ordered", None
    try:
        code = str(json.loads(text or "")["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"http_{status}", f"{status}: {(text or '')[:200]}"
    if status in EXPECTED_ORDER_STATUSES:
        return code, None
    if status == 404 and code == "not_found":
        return "no_orders_endpoint", "POST /api/orders is not served"
    return code, f"{status}: {code}"
