"""The ``DropUser`` Locust user: a viewer who taps on each drop after its own network delay.

Each user draws a delay from ``[0, max_delay_ms]`` and taps that long after the ``deal_start`` frame
arrives: a first-come deal is an order (``ORDER`` / outcome, as a ``Buyer``); a lottery deal is an
entry (``GAME`` / ``entry:<outcome>``), then, once the ``deal_drawn`` frame arrives (or the entry
window closed and a moment passed), a result check (``GAME`` / ``result:<status>``: ``won``,
``waitlisted``, ``lost``).
"""

from __future__ import annotations

import random
import time
from typing import Any

import gevent
from gevent.event import Event

from loadtest.config import GAME
from loadtest.frames import FrameReport
from loadtest.player import Player
from loadtest.stats import report
from loadtest.users import CONFIG, order_deal

# Past the entry window's close, how long to wait for the deal_drawn frame before asking anyway.
DRAW_GRACE_S = 3.0
# While the draw has not happened, the result is asked for again this often, this many times.
RESULT_POLL_S = 1.0
RESULT_TRIES = 10


class DropUser(Player):
    """Watches with a live, signed-in socket and taps each drop once, after its delay."""

    weight = 1

    def on_start(self) -> None:
        """Draw this user's network delay, then join like a Player (socket, heartbeat)."""
        self.delay_s = random.uniform(0, CONFIG.max_delay_ms) / 1000
        self._tapped: set[str] = set()
        self._drawn: dict[str, Event] = {}
        super().on_start()

    def on_frame(self, frame: FrameReport) -> None:
        """Tap each deal after the delay; wake the lottery's result check when it is drawn."""
        super().on_frame(frame)
        kind = frame.data.get("kind") if frame.frame_type == "cue" else frame.frame_type
        deal_id = str(frame.data.get("deal_id"))
        if kind == "deal_start" and deal_id not in self._tapped:
            self._tapped.add(deal_id)
            self._drawn[deal_id] = Event()
            deal = {**frame.data, "_received_ms": frame.received_ms}
            self._greenlets.append(gevent.spawn_later(self.delay_s, self._tap_reported, deal))
        elif kind == "deal_drawn" and deal_id in self._drawn:
            self._drawn[deal_id].set()

    def _tap_reported(self, deal: dict[str, Any]) -> None:
        try:
            self.tap(deal)
        except Exception as crash:  # every failure of a tap is reported
            report(self.environment, GAME, "drop:exception", 0, error=crash)

    def tap(self, deal: dict[str, Any]) -> None:
        """Order (first come) or enter and then learn the result (lottery)."""
        if deal.get("mode", "first_come") == "first_come":
            order_deal(self, deal)
            return
        deal_id = str(deal.get("deal_id"))
        path = f"deals/{deal_id}/entries"
        status, _ = self.send_action("entry", path, "[deal]/entries", 201, ok_name="entered")
        if status not in (200, 201):
            return
        close_at = float(deal.get("entries_close_at") or 0)
        server_now = time.time() * 1000 + self._clock.offset_ms
        drawn = self._drawn[deal_id]
        drawn.wait(timeout=max(close_at - server_now, 0) / 1000 + DRAW_GRACE_S)
        self.result(path, drawn)

    def result(self, path: str, drawn: Event) -> None:
        """``GET .../entries/me`` until the draw has happened; reports ``result:<status>``.

        Until ``deal_drawn`` is out, a winner whose order is still being made reads as
        ``waitlisted``: only the frame says every winner's order exists.
        """
        for _ in range(RESULT_TRIES):
            started = time.perf_counter()
            with self.client.get(
                f"/api/shows/{CONFIG.show_id}/{path}/me",
                headers={"Authorization": f"Bearer {self.token}"},
                name="/api/shows/[show]/[deal]/entries/me",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    return
                status = str(response.json().get("status"))
            if status not in ("entered", "not_entered") and (
                status != "waitlisted" or drawn.is_set()
            ):
                report(self.environment, GAME, f"result:{status}", _ms_since(started))
                return
            gevent.sleep(RESULT_POLL_S)
        report(self.environment, GAME, "result:not_drawn", 0, error=RuntimeError("never drawn"))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
