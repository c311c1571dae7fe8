"""Reads Locust's stats CSV into the summary the runner prints: viewers, latency, gaps, orders,
games."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loadtest.config import GAME, ORDER, PRODUCER, WS


@dataclass(frozen=True)
class Row:
    """One line of ``<prefix>_stats.csv``."""

    request_type: str
    name: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True)
class Summary:
    """What the people running the event need to know from one scenario run."""

    scenario: str
    users: int
    viewers_connected: int
    viewers_dropped: int
    frames_received: int
    cues_received: int
    cue_latency_ms: dict[str, float]
    seq_gaps: int
    chat_frames: int
    chat_latency_ms: dict[str, float]
    cues_posted: int
    deal_units: int | None
    orders: int
    order_outcomes: dict[str, int]
    oversell: int
    stock_consistent: bool | None
    errors: int
    request_types: list[str]
    # gala: ``<action>:<outcome>`` -> count (vote, quiz, giveaway, grab), and the vote-to-result
    # latency (a vote's 201 to the first poll_results frame that includes it)
    game_outcomes: dict[str, int] = field(default_factory=dict)
    vote_to_result_ms: dict[str, float] = field(default_factory=dict)
    votes_resolved: int = 0  # counted votes a live results frame showed
    votes_in_final_only: int = 0  # counted votes first shown by the final result
    # auction: a bid's 200 to its frame on the bidder's socket; the lot's end as the snapshot
    # showed it after the run (status, price, leader_handle, bids, started_at, ends_at)
    bid_to_screen_ms: dict[str, float] = field(default_factory=dict)
    bids_timed: int = 0
    auction: dict[str, Any] | None = None
    # distributed runs (``--workers N``): the most users each Locust worker held; the other
    # figures are already the workers' merged statistics
    users_per_worker: list[int] = field(default_factory=list)
    # selling scenarios: the server's own histogram of its order answers, by status class
    # (``server_metrics.order_answers``)
    server_orders: dict[str, dict[str, float]] = field(default_factory=dict)

    def game_counts(self, action: str) -> tuple[int, int, dict[str, int]]:
        """``action``'s successes, refusals, and the refusals by code."""
        ok = {"vote": "counted", "quiz": "counted", "giveaway": "entered", "grab": "won"}[action]
        mine = {
            name.split(":", 1)[1]: count
            for name, count in self.game_outcomes.items()
            if name.split(":", 1)[0] == action
        }
        refused = {code: count for code, count in mine.items() if code != ok}
        return mine.get(ok, 0), sum(refused.values()), refused

    @property
    def viewers_held(self) -> int:
        """Viewers connected and never dropped by the server."""
        return self.viewers_connected - self.viewers_dropped

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with ``viewers_held``."""
        return {**asdict(self), "viewers_held": self.viewers_held}

    def text(self) -> str:
        """The human summary."""
        latency = self.cue_latency_ms
        lines = [
            f"scenario        {self.scenario} ({self.users} users)",
            f"viewers held    {self.viewers_held} of {self.viewers_connected} connected"
            f" ({self.viewers_dropped} dropped)",
            f"frames          {self.frames_received} received, {self.cues_received} cues"
            f" ({self.cues_posted} posted)",
            f"cue latency     p50 {latency['p50']:.0f} ms  p95 {latency['p95']:.0f} ms"
            f"  p99 {latency['p99']:.0f} ms  max {latency['max']:.0f} ms",
            f"seq gaps        {self.seq_gaps}",
        ]
        if self.users_per_worker:
            split = " + ".join(str(users) for users in self.users_per_worker)
            lines.insert(
                1, f"locust workers  {len(self.users_per_worker)}, users {split} (stats merged)"
            )
        if self.chat_frames:
            chat = self.chat_latency_ms
            lines.append(
                f"chat frames     {self.chat_frames} received, latency p50 {chat['p50']:.0f} ms"
                f"  p99 {chat['p99']:.0f} ms"
            )
        if self.deal_units is not None:
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.order_outcomes.items()))
            lines.append(
                f"orders          {self.orders} ordered of {self.deal_units} units"
                f" (oversell {self.oversell}); taps: {outcomes or 'none'}"
            )
            stock = {True: "counters add up", False: "BROKEN", None: "not served"}
            lines.append(f"stock           {stock[self.stock_consistent]}")
        if self.server_orders:
            answers = "; ".join(
                f"{status} {figures['count']:.0f}: p50 ≤ {figures['p50_le_ms']:g} ms,"
                f" p99 ≤ {figures['p99_le_ms']:g} ms"
                for status, figures in self.server_orders.items()
            )
            lines.append(f"server answers  {answers} (its own histogram of POST /api/orders)")
        if self.game_outcomes and self.scenario == "gala":
            lines.extend(self._game_lines())
        if self.scenario == "drop":
            lines.extend(self._drop_lines())
        if self.scenario == "auction":
            lines.extend(self._auction_lines())
        lines.append(f"errors          {self.errors}")
        return "\n".join(lines)

    def _outcomes_of(self, *actions: str) -> str:
        """``bid:accepted 3, bid:bid_too_low 2`` for the game outcomes of ``actions``."""
        mine = {
            name: count
            for name, count in sorted(self.game_outcomes.items())
            if name.split(":", 1)[0] in actions and name != "bid:extended"
        }
        return ", ".join(f"{name} {count}" for name, count in mine.items()) or "none"

    def _drop_lines(self) -> list[str]:
        """A lottery drop's entries and results (a first-come drop's taps are the orders line)."""
        if not any(name.startswith(("entry:", "result:")) for name in self.game_outcomes):
            return []
        return [
            f"entries         {self._outcomes_of('entry')}",
            f"results         {self._outcomes_of('result')}",
        ]

    def _auction_lines(self) -> list[str]:
        latency = self.bid_to_screen_ms or _latency(None)
        extended = self.game_outcomes.get("bid:extended", 0)
        lot = self.auction or {}
        if lot:
            length_s = (float(lot["ends_at"]) - float(lot["started_at"])) / 1000
            end = (
                f"{lot.get('status')} ({lot.get('reason') or 'no reason'}) to"
                f" {lot.get('leader_handle')} at {lot.get('price')} after {lot.get('bids')} bids,"
                f" open {length_s:.1f} s"
            )
        else:
            end = "not seen (the snapshot after the run did not show it)"
        return [
            f"bids            {self._outcomes_of('bid', 'max_bid')}",
            f"bid to screen   p50 {latency['p50']:.0f} ms  p95 {latency['p95']:.0f} ms"
            f"  p99 {latency['p99']:.0f} ms  max {latency['max']:.0f} ms"
            f" ({self.bids_timed} bids timed)",
            f"extensions      {extended} accepted bids moved the close",
            f"auction         {end}; winners reporting {self.game_outcomes.get('auction:won', 0)}",
        ]

    def _game_lines(self) -> list[str]:
        def counted(action: str, ok: str, refused_word: str = "refused") -> str:
            good, bad, codes = self.game_counts(action)
            detail = ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
            return f"{good} {ok}, {bad} {refused_word}" + (f" ({detail})" if detail else "")

        latency = self.vote_to_result_ms or _latency(None)
        return [
            f"poll votes      {counted('vote', 'counted')}",
            f"quiz answers    {counted('quiz', 'counted')}",
            f"vote to result  p50 {latency['p50']:.0f} ms  p99 {latency['p99']:.0f} ms"
            f"  max {latency['max']:.0f} ms ({self.votes_resolved} votes seen live,"
            f" {self.votes_in_final_only} first in the final result)",
            f"giveaway        {counted('giveaway', 'entered')}",
            f"red packets     {counted('grab', 'won')}",
        ]


def read_rows(stats_csv: Path) -> list[Row]:
    """The per-request rows of Locust's ``_stats.csv`` (without the Aggregated line)."""
    rows: list[Row] = []
    with stats_csv.open(newline="") as file:
        for line in csv.DictReader(file):
            if line["Name"] == "Aggregated":
                continue
            rows.append(
                Row(
                    request_type=line["Type"],
                    name=line["Name"],
                    count=int(line["Request Count"]),
                    failures=int(line["Failure Count"]),
                    p50=_number(line["50%"]),
                    p95=_number(line["95%"]),
                    p99=_number(line["99%"]),
                    max=_number(line["Max Response Time"]),
                )
            )
    return rows


def _number(raw: str) -> float:
    return 0.0 if raw in ("", "N/A") else float(raw)


def _latency(row: Row | None) -> dict[str, float]:
    if row is None:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    return {"p50": row.p50, "p95": row.p95, "p99": row.p99, "max": row.max}


def summarize(
    stats_csv: Path,
    *,
    scenario: str,
    users: int,
    deal_units: int | None,
    stock_consistent: bool | None = None,
    auction: dict[str, Any] | None = None,
    users_per_worker: list[int] | None = None,
) -> Summary:
    """Build the summary of one run from its stats CSV."""
    rows = read_rows(stats_csv)

    def find(request_type: str, name: str) -> Row | None:
        return next((r for r in rows if r.request_type == request_type and r.name == name), None)

    connect = find(WS, "connect")
    closed = find(WS, "closed")
    gaps = find(WS, "seq_gap")
    cue = find(WS, "cue")
    chat = find(WS, "chat")
    to_result = find(GAME, "vote_to_result")
    to_final = find(GAME, "vote_to_final")
    outcomes = {r.name: r.count for r in rows if r.request_type == ORDER}
    games = {r.name: r.count for r in rows if r.request_type == GAME}
    # A lottery drop's units go to the entries drawn as winners, not to first-come orders.
    orders = outcomes.get("ordered", 0) + games.get("result:won", 0)
    to_screen = find(GAME, "bid_to_screen")
    return Summary(
        scenario=scenario,
        users=users,
        viewers_connected=(connect.count - connect.failures) if connect else 0,
        viewers_dropped=closed.count if closed else 0,
        frames_received=sum(
            r.count
            for r in rows
            if r.request_type == WS and r.name not in ("connect", "closed", "seq_gap")
        ),
        cues_received=cue.count if cue else 0,
        cue_latency_ms=_latency(cue),
        # Locust counts a seq_gap event per gap; the missing-frame count is in the message.
        seq_gaps=gaps.count if gaps else 0,
        chat_frames=chat.count if chat else 0,
        chat_latency_ms=_latency(chat),
        cues_posted=sum(r.count - r.failures for r in rows if r.request_type == PRODUCER),
        deal_units=deal_units,
        orders=orders,
        order_outcomes=outcomes,
        oversell=max(orders - deal_units, 0) if deal_units is not None else 0,
        stock_consistent=stock_consistent,
        errors=sum(r.failures for r in rows if r.name != "seq_gap"),
        request_types=sorted({r.request_type for r in rows}),
        game_outcomes={
            name: count
            for name, count in games.items()
            if name not in ("vote_to_result", "vote_to_final", "bid_to_screen")
        },
        vote_to_result_ms=_latency(to_result),
        votes_resolved=to_result.count if to_result else 0,
        votes_in_final_only=to_final.count if to_final else 0,
        bid_to_screen_ms=_latency(to_screen),
        bids_timed=to_screen.count if to_screen else 0,
        auction=auction,
        users_per_worker=users_per_worker or [],
    )
