"""The producer during a run: posts cues at a fixed rate; in ``flash`` and ``drop`` one deal for
everyone (``drop``: first-come or lottery), in ``auction`` one auction, in ``gala`` the demo
show's four games (a poll, a quiz, a giveaway and a red-packet rain) at once.

Runs as one greenlet in the Locust master (or the only process), never in workers, so each cue is
posted once however many worker processes drive the users.
"""

from __future__ import annotations

import json
import time
from typing import Any

import gevent
import requests
import websocket
from locust.env import Environment

from loadtest.config import PRODUCER, LoadTestConfig, auction_id
from loadtest.stats import report

# Give the last users spawned a moment to receive their snapshot before cues and the deal.
USERS_GRACE_S = 1.0
# Quiet time after the last cue was acknowledged, so every viewer has it when the run stops.
QUIET_END_S = 1.5
# On a loaded machine posting can run late; the run waits for it at most this long past its end.
MAX_OVERRUN_S = 10.0
# A gala game is open for half the run (so the run sees it through), within these bounds.
MIN_GAME_WINDOW_MS = 4000
MAX_GAME_WINDOW_MS = 60_000
# After the games' close: the quiz's final result waits for the answer tolerance (5 s default).
GAMES_SETTLE_S = 6.0
# After a lottery's entry window: the draw, the deal_drawn frame and each entrant's result check.
DRAW_SETTLE_S = 6.0
# After an auction's first close time: the war's extensions (each EXTEND_MS) and the settling.
AUCTION_EXTEND_MS = 2000
AUCTION_SETTLE_S = 12.0
AUCTION_POLL_S = 0.5
# Statuses after which an auction sends no more frames (payment_failed still may: second chance).
AUCTION_ENDED = frozenset({"sold", "unsold", "cancelled"})
AUCTION_START = 1000  # minor units
AUCTION_LADDER = [[0, 100], [10_000, 500]]


class CuePublisher:
    """Posts ``announce`` cues at ``cue_rate`` per second for the whole run."""

    # When the last cue was acknowledged (monotonic); the shape ends the run only after it plus
    # QUIET_END_S, since a loaded machine can acknowledge posts later than their schedule.
    finished_at: float | None = None
    # gala: until when the games still play out (monotonic); the run waits for it like for cues.
    games_until: float = 0.0

    def __init__(self, environment: Environment, config: LoadTestConfig) -> None:
        CuePublisher.finished_at = None
        CuePublisher.games_until = 0.0
        self._environment = environment
        self._config = config
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {config.producer_token}"
        self._greenlets: list[gevent.Greenlet] = []
        self.deal_id = f"flash-{config.run_id}"

    def start(self) -> None:
        """Start posting (at test start)."""
        self._greenlets.append(gevent.spawn(self._cues))
        if self._config.scenario in ("flash", "drop"):
            self._greenlets.append(gevent.spawn(self._deal))
        if self._config.scenario == "auction":
            self._greenlets.append(gevent.spawn(self._auction))
        if self._config.scenario == "gala":
            self._greenlets.append(gevent.spawn(self._games))

    def stop(self) -> None:
        """Stop posting (at test stop)."""
        gevent.killall(self._greenlets, block=False)

    def post(self, name: str, cue: dict[str, Any], cue_id: str | None = None) -> None:
        """Post one cue and report it to the stats as ``PRODUCER`` / ``name``."""
        body: dict[str, Any] = {"cue": cue}
        if cue_id is not None:
            body["id"] = cue_id
        url = f"{self._environment.host}/api/shows/{self._config.show_id}/cues"
        started = time.perf_counter()
        error: Exception | None = None
        try:
            response = self._http.post(url, json=body, timeout=10)
            if response.status_code != 201:
                error = RuntimeError(f"{response.status_code} {response.text[:200]}")
        except requests.RequestException as failure:
            error = failure
        report(
            self._environment,
            PRODUCER,
            name,
            (time.perf_counter() - started) * 1000,
            error=error,
        )

    def _wait_for_users(self) -> None:
        """Until every user is spawned (bounded), plus a moment to receive the snapshot."""
        runner = self._environment.runner
        deadline = time.monotonic() + self._config.ramp_s * 3 + 10
        while runner is not None and runner.user_count < self._config.users:
            if time.monotonic() > deadline:
                break
            gevent.sleep(0.2)
        gevent.sleep(USERS_GRACE_S)

    def _cues(self) -> None:
        # Cues start once everyone watches, so every viewer should receive every cue.
        self._wait_for_users()
        interval = 1.0 / self._config.cue_rate
        count = 0
        started = time.monotonic()
        next_at = started
        # Stop a little before the end, so every viewer has every cue when the stats are written.
        while next_at - started < self._config.duration_s - QUIET_END_S:
            count += 1
            self.post("announce", {"kind": "announce", "text": f"load test cue {count}"})
            next_at += interval
            gevent.sleep(max(next_at - time.monotonic(), 0))
        CuePublisher.finished_at = time.monotonic()

    @classmethod
    def quiet(cls, now: float) -> bool:
        """Whether the last cue was acknowledged at least ``QUIET_END_S`` before ``now``."""
        return (
            cls.finished_at is not None
            and now - cls.finished_at >= QUIET_END_S
            and now >= cls.games_until
        )

    def _deal(self) -> None:
        self._wait_for_users()
        cue: dict[str, Any] = {
            "kind": "deal_start",
            "deal_id": self.deal_id,
            "product_id": self._config.deal_product,
            "deal_price": {"amount": 9900, "currency": "EUR"},
            "units": self._config.deal_units,
            "per_customer_limit": 1,
        }
        if self._config.scenario == "drop" and self._config.drop_mode == "lottery":
            # The run waits for the window's close, the draw and every result check.
            window_ms = game_window_ms(self._config.duration_s)
            cue.update(mode="lottery", entry_window_ms=window_ms)
            CuePublisher.games_until = time.monotonic() + window_ms / 1000 + DRAW_SETTLE_S
        self.post("deal_start", cue, cue_id=self.deal_id)

    def _auction(self) -> None:
        """One auction of the scarf, open for half the run; the war extends it, then it settles."""
        self._wait_for_users()
        window_ms = game_window_ms(self._config.duration_s)
        CuePublisher.games_until = time.monotonic() + window_ms / 1000 + AUCTION_SETTLE_S
        self.post("auction", auction_cue(self._config, window_ms))
        # A loaded server may answer the post late: the auction's clock starts when it does.
        deadline = time.monotonic() + window_ms / 1000 + AUCTION_SETTLE_S
        CuePublisher.games_until = deadline
        gevent.sleep(window_ms / 1000)
        # The war's extensions decide when it closes: watch for the settled lot, so every bidder
        # gets its last frame before the run stops.
        lot = auction_id(self._config.run_id)
        while time.monotonic() < deadline:
            if self._auction_status(lot) in AUCTION_ENDED:
                CuePublisher.games_until = time.monotonic() + QUIET_END_S
                return
            gevent.sleep(AUCTION_POLL_S)

    def _auction_status(self, lot: str) -> str | None:
        """The lot's status in a fresh viewer's snapshot (None if it cannot be read)."""
        url = self._environment.host or ""
        url = url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        try:
            socket = websocket.create_connection(
                f"{url}/ws/shows/{self._config.show_id}", timeout=10, suppress_origin=True
            )
            try:
                snapshot = json.loads(socket.recv())
            finally:
                socket.close()
        except (OSError, websocket.WebSocketException, ValueError):
            return None
        for auction in snapshot.get("data", {}).get("auctions") or []:
            if auction.get("auction_id") == lot:
                return str(auction.get("status"))
        return None

    def _games(self) -> None:
        """The demo run sheet's games, live, with this run's ids (a rerun plays them afresh)."""
        self._wait_for_users()
        window_ms = game_window_ms(self._config.duration_s)
        CuePublisher.games_until = time.monotonic() + window_ms / 1000 + GAMES_SETTLE_S
        for name, cue in gala_cues(self._config.run_id, self._config.deal_units, window_ms):
            self.post(name, cue)


def game_window_ms(duration_s: float) -> int:
    """How long each gala game is open in a run of ``duration_s``."""
    return int(min(max(duration_s * 500, MIN_GAME_WINDOW_MS), MAX_GAME_WINDOW_MS))


def gala_cues(run_id: str, packets: int, window_ms: int) -> list[tuple[str, dict[str, Any]]]:
    """The games of the demo show (``catalog/data/demo_show.yaml``) as live cues: a poll, a quiz,
    a giveaway and a rain of ``packets`` red packets, each open for ``window_ms``."""
    suffix = run_id.lower()
    packets = max(packets, 1)
    return [
        (
            "poll",
            {
                "kind": "poll",
                "poll_id": f"next-look-{suffix}",
                "question": "Which look should walk the finale?",
                "options": ["The silk slip dress", "The boucle blazer", "The leather biker"],
                "duration_ms": window_ms,
            },
        ),
        (
            "quiz",
            {
                "kind": "quiz",
                "poll_id": f"tank-fabric-{suffix}",
                "question": "Quick quiz: what is the ribbed tank knitted from?",
                "options": ["A cotton-silk blend", "Cashmere", "Polyester"],
                "correct_option": 0,
                "time_limit_ms": window_ms,
                "prize": {"amount": 500, "currency": "EUR"},
            },
        ),
        (
            "giveaway",
            {
                "kind": "giveaway",
                "giveaway_id": f"spring-coupons-{suffix}",
                "title": "3 × 20% off your next look",
                "prize": {"kind": "coupon", "coupon_kind": "percent", "value": 20},
                "winners": 3,
                "duration_ms": window_ms,
            },
        ),
        (
            "red_packets",
            {
                "kind": "red_packets",
                "rain_id": f"gala-rain-{suffix}",
                "budget": packets * 500,
                "currency": "EUR",
                "count": packets,
                "min_amount": 100,
                "max_amount": 1500,
                "duration_ms": window_ms,
            },
        ),
    ]


def auction_cue(config: LoadTestConfig, window_ms: int) -> dict[str, Any]:
    """The run's auction: ``auction_sku`` from ``AUCTION_START``, extended by every late bid."""
    return {
        "kind": "auction",
        "auction_id": auction_id(config.run_id),
        "sku": config.auction_sku,
        "start_price": {"amount": AUCTION_START, "currency": "EUR"},
        "ladder": AUCTION_LADDER,
        "duration_ms": window_ms,
        "mode": "extend",
        "extend_ms": AUCTION_EXTEND_MS,
    }
