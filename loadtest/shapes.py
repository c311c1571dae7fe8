"""The scenarios as one Locust shape: ramp to N users of the scenario's classes, hold, stop."""

from __future__ import annotations

import time

from locust import LoadTestShape
from locust.runners import MasterRunner

from loadtest.auctions import AuctionUser
from loadtest.config import MAX_DRAIN_S, LoadTestConfig
from loadtest.cues import MAX_OVERRUN_S, CuePublisher
from loadtest.drops import DropUser
from loadtest.player import Player
from loadtest.users import Buyer, Chatter, Viewer
from loadtest.workers import REPORTS

USER_CLASSES: dict[str, list[type]] = {
    "steady": [Viewer],
    "flash": [Buyer],  # every viewer taps the deal
    "chat-storm": [Viewer, Chatter],
    "gala": [Player],  # every viewer plays the games
    "drop": [DropUser],  # every viewer taps the drop after a network delay
    "auction": [AuctionUser],  # every viewer joins the bid war
}


class ScenarioShape(LoadTestShape):
    """A scenario of ``SCENARIOS`` (from ``LIVEBUY_LOADTEST_SCENARIO``), for a bounded time."""

    config = LoadTestConfig.from_env()
    # When a distributed run began stopping its users (monotonic).
    draining_since: float | None = None

    def tick(self) -> tuple[int, float, list[type]] | None:
        """Hold ``users`` of the scenario's classes until ``duration_s`` and the producer's last
        cue has had time to arrive (bounded by ``MAX_OVERRUN_S``), then stop; a master first
        stops the workers' users and waits for their last reports (bounded by ``MAX_DRAIN_S``)."""
        classes = USER_CLASSES[self.config.scenario]
        now = time.monotonic()
        run_time = self.get_run_time()  # type: ignore[no-untyped-call]
        over = run_time >= self.config.duration_s and (
            CuePublisher.quiet(now) or run_time >= self.config.duration_s + MAX_OVERRUN_S
        )
        if not over:
            return self.config.users, self.config.spawn_rate, classes
        if isinstance(self.runner, MasterRunner):
            if self.draining_since is None:
                self.draining_since = now
            if not REPORTS.drained() and now - self.draining_since < MAX_DRAIN_S:
                # Every user at once: leaving sends nothing the statistics need.
                return 0, float(max(self.config.users, 1)), classes
        return None
