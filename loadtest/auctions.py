"""The ``AuctionUser`` Locust user: a bidder in the last seconds' bid war of an auction.

Each user saves a demo card (bidding needs one), watches until an ``auction`` cue, then, in the
last ``WAR_WINDOW_MS`` of the auction's clock (the server's, from the heartbeat), bids the floor
whenever someone else leads, until the floor passes its budget; a quarter of the users instead
set their whole budget once as a ceiling (``max_amount``) and let the server bid for them.
Reported:
``GAME`` / ``bid:<outcome>`` and ``max_bid:<outcome>`` (``accepted`` or the refusal's code),
``bid_to_screen`` (a bid's 200 to its ``auction`` frame on the bidder's own socket),
``bid:extended`` (an accepted bid that moved the close; counted once, by the frame's leader) and
``auction:won`` (the winner, once the lot is sold).
"""

from __future__ import annotations

import random
import time
from typing import Any

import gevent
from gevent.event import Event
from locust import task

from loadtest.config import GAME
from loadtest.frames import FrameReport
from loadtest.games import BidScreen
from loadtest.player import Player
from loadtest.stats import report

# Bidders wait for the last seconds, as they do on Whatnot; every bid then extends the clock.
WAR_WINDOW_MS = 2000
# The demo gateway's approving test card (docs/commerce.md).
CARD = {"card_number": "4242424242424242", "expiry_month": 12, "expiry_year": 2030, "cvc": "123"}
# A budget is the start price plus this many increments: the war ends when the budgets do.
BUDGET_STEPS = (2, 12)
THINK_S = (0.05, 0.3)
# Share of bidders who set one ceiling instead of bidding step by step.
CEILING_SHARE = 0.25


class AuctionUser(Player):
    """Saves a card, waits for the last seconds of an auction, then outbids until its budget."""

    weight = 1

    def on_start(self) -> None:
        """Join like a Player, save a card, pick a budget and a style (plain bids or a ceiling)."""
        self._auction: dict[str, Any] | None = None
        self._auction_seen = Event()
        self._screen = BidScreen()
        self._handle: str | None = None
        self._steps = random.randint(*BUDGET_STEPS)
        self._uses_ceiling = random.random() < CEILING_SHARE
        self._ceiling_set = False
        super().on_start()
        with self.client.put(
            "/api/payment-method",
            json=CARD,
            headers={"Authorization": f"Bearer {self.token}"},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"saving the card: {response.status_code}")

    def on_frame(self, frame: FrameReport) -> None:
        """Follow the auction's state; pair our bids' frames; report extensions and the win."""
        super().on_frame(frame)
        if frame.frame_type == "cue" and frame.data.get("kind") == "auction":
            start = int(frame.data["start_price"]["amount"])
            # Later ``auction`` frames replace the fields they carry (start_price: an amount).
            self._auction = {
                "status": "open",
                "min_next": start,
                "version": -1,
                **frame.data,
                "start_amount": start,
            }
            self._auction_seen.set()
            return
        auction = self._auction
        if frame.frame_type != "auction" or auction is None:
            return
        if frame.data.get("auction_id") != auction["auction_id"]:
            return
        if int(frame.data.get("version", 0)) > int(auction["version"]):
            auction.update(frame.data)
        mine = self._handle is not None and frame.data.get("leader_handle") == self._handle
        status = frame.data.get("status")
        if mine and status == "open" and frame.data.get("extended"):
            report(self.environment, GAME, "bid:extended", 0)
        if mine and status == "sold":
            report(self.environment, GAME, "auction:won", 0)
        latency = self._screen.frame(frame.seq, frame.received_ms)
        if latency is not None:
            report(self.environment, GAME, "bid_to_screen", latency)

    @task
    def bid_war(self) -> None:
        """One step of the war: wait for the last seconds, then bid if someone else leads."""
        if not self._auction_seen.wait(timeout=1):
            return
        auction = self._auction
        assert auction is not None
        if auction["status"] != "open":
            gevent.sleep(1)
            return
        left_ms = float(auction["ends_at"]) - (time.time() * 1000 + self._clock.offset_ms)
        if left_ms > WAR_WINDOW_MS:
            gevent.sleep(min((left_ms - WAR_WINDOW_MS) / 1000 + random.uniform(0, 0.3), 1))
            return
        budget = int(auction["start_amount"]) + self._steps * _first_increment(auction)
        floor = int(auction["min_next"])
        leading = self._handle is not None and auction.get("leader_handle") == self._handle
        if leading or floor > budget or (self._ceiling_set and floor <= budget):
            gevent.sleep(0.1)
            return
        self.bid(auction, {"max_amount": budget} if self._uses_ceiling else {"amount": floor})
        gevent.sleep(random.uniform(*THINK_S))

    def bid(self, auction: dict[str, Any], body: dict[str, int]) -> None:
        """Send one bid or ceiling; learn our handle, the new floor, and time the frame."""
        action = "max_bid" if "max_amount" in body else "bid"
        path = f"auctions/{auction['auction_id']}/bids"
        status, answer = self.send_action(
            action, path, "[auction]/bids", 200, body, ok_name="accepted"
        )
        received_ms = time.time() * 1000
        if status == 200:
            self._ceiling_set = self._ceiling_set or action == "max_bid"
            self._handle = str(answer.get("handle"))
            seq = answer.get("seq")
            latency = self._screen.accepted(int(seq), received_ms) if seq is not None else None
            if latency is not None:
                report(self.environment, GAME, "bid_to_screen", latency)
            return
        error = answer.get("error") or {}
        if "min_amount" in error:
            auction["min_next"] = max(int(auction["min_next"]), int(error["min_amount"]))


def _first_increment(auction: dict[str, Any]) -> int:
    """The ladder's first step (the increment from the start)."""
    ladder = auction.get("ladder") or [[0, 100]]
    return int(ladder[0][1])
