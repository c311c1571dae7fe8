"""The scenarios as one Locust shape: ramp to N users of the scenario's classes, hold, stop."""

from __future__ import annotations

import time

from locust import LoadTestShape

from loadtest.auctions import AuctionUser
from loadtest.config import LoadTestConfig
from loadtest.cues import MAX_OVERRUN_S, CuePublisher
from loadtest.drops import DropUser
from loadtest.player import Player
from loadtest.users import Buyer, Chatter, Viewer

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

    def tick(self) -> tuple[int, float, list[type]] | None:
        """Hold ``users`` of the scenario's classes until ``duration_s`` and the producer's last
        cue has had time to arrive (bounded by ``MAX_OVERRUN_S``), then stop."""
        run_time = self.get_run_time()  # type: ignore[no-untyped-call]
        if run_time >= self.config.duration_s and (
            CuePublisher.quiet(time.monotonic())
            or run_time >= self.config.duration_s + MAX_OVERRUN_S
        ):
            return None
        return self.config.users, self.config.spawn_rate, USER_CLASSES[self.config.scenario]
