"""Sans-I/O part of the fairness benchmark: who won, by network delay, and whether it mattered.

Kept free of sockets so the table, the bots' share and the chi-square verdict are unit-tested alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from loadtest.chi_square import IndependenceTest, independence_test

# Below it, "winning does not depend on delay" is rejected (and so is "it does", above it).
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class ClientOutcome:
    """What one simulated client's tap came to."""

    delay_ms: float  # simulated one-way network delay
    bot: bool
    won: bool
    outcome: str  # ordered / out_of_stock / won / waitlisted / lost / an error code
    frame_lag_ms: float | None = None  # deal_start frame: received − server send time
    answer_ms: float | None = None  # the deciding request's round trip, simulated delay excluded


@dataclass(frozen=True)
class Bucket:
    """One row of the table: the clients whose delay is in ``[low_ms, high_ms)``."""

    low_ms: float
    high_ms: float
    clients: int
    won: int

    @property
    def win_rate(self) -> float:
        """Share of the bucket's clients that won (0 for an empty bucket)."""
        return self.won / self.clients if self.clients else 0.0


@dataclass(frozen=True)
class FairnessReport:
    """One mode's run: the table by delay bucket, the bots' share, and the test of independence."""

    mode: str
    units: int
    clients: int  # ordinary clients (the table's rows)
    bots: int
    buckets: list[Bucket]
    bots_won: int
    units_won: int  # by everyone, bots included
    test: IndependenceTest | None
    outcomes: dict[str, int] = field(default_factory=dict)
    # How far the run was from its model: the deal frame's push lag and the taps' answer time
    # (p50 and max, ms). When they dwarf the simulated delays, the server or the client was
    # overloaded and the table measures that too.
    frame_lag_ms: dict[str, float] = field(default_factory=dict)
    answer_ms: dict[str, float] = field(default_factory=dict)

    @property
    def bots_share_of_clients(self) -> float:
        """Bots among everyone who tapped."""
        total = self.clients + self.bots
        return self.bots / total if total else 0.0

    @property
    def bots_share_of_wins(self) -> float:
        """Bots among the winners."""
        return self.bots_won / self.units_won if self.units_won else 0.0

    @property
    def delay_matters(self) -> bool | None:
        """Whether winning depends on delay at ``SIGNIFICANCE`` (None: no test possible)."""
        return None if self.test is None else self.test.p_value < SIGNIFICANCE

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the derived shares and rates."""
        return {
            **asdict(self),
            "buckets": [{**asdict(b), "win_rate": b.win_rate} for b in self.buckets],
            "bots_share_of_clients": self.bots_share_of_clients,
            "bots_share_of_wins": self.bots_share_of_wins,
            "delay_matters": self.delay_matters,
        }

    def table(self) -> str:
        """The Markdown table by delay bucket, the bots' row last."""
        lines = ["| delay (one way) | clients | won | win rate |", "|---|---:|---:|---:|"]
        for bucket in self.buckets:
            lines.append(
                f"| {bucket.low_ms:.0f}–{bucket.high_ms:.0f} ms | {bucket.clients} |"
                f" {bucket.won} | {bucket.win_rate:.1%} |"
            )
        bot_rate = self.bots_won / self.bots if self.bots else 0.0
        lines.append(f"| bots (0 ms, retry) | {self.bots} | {self.bots_won} | {bot_rate:.1%} |")
        return "\n".join(lines)

    def text(self) -> str:
        """The human report of this mode."""
        if self.test is None:
            verdict = "chi-square: not testable (nobody won, or everybody did)"
        else:
            t = self.test
            verdict = (
                f"chi-square (win × delay bucket, bots left out): {t.statistic:.1f} on"
                f" {t.degrees_of_freedom} df, p = {t.p_value:.3g}"
                f" ({'depends on delay' if self.delay_matters else 'no dependence on delay'}"
                f" at {SIGNIFICANCE}; smallest expected count {t.min_expected:.1f})"
            )
        outcomes = ", ".join(f"{name} {n}" for name, n in sorted(self.outcomes.items()))
        return "\n".join(
            [
                f"mode {self.mode}: {self.clients} clients + {self.bots} bots,"
                f" {self.units} units, {self.units_won} won",
                self.table(),
                f"bots: {self.bots_share_of_clients:.1%} of those who tapped,"
                f" {self.bots_share_of_wins:.1%} of the winners",
                verdict,
                f"outcomes: {outcomes}",
                f"deal frame push lag {_spread(self.frame_lag_ms)}; tap answered in"
                f" {_spread(self.answer_ms)}",
            ]
        )


def _spread(values: dict[str, float]) -> str:
    if not values:
        return "n/a"
    return f"p50 {values['p50']:.0f} ms, max {values['max']:.0f} ms"


def _p50_max(values: list[float | None]) -> dict[str, float]:
    """The median and the maximum of the values that were measured."""
    measured = sorted(value for value in values if value is not None)
    if not measured:
        return {}
    return {"p50": measured[len(measured) // 2], "max": measured[-1]}


def fairness_report(
    mode: str, units: int, outcomes: list[ClientOutcome], max_delay_ms: float, buckets: int
) -> FairnessReport:
    """Bucket the ordinary clients by delay (``buckets`` equal slices of ``[0, max_delay_ms]``),
    count the bots apart, and test win × bucket for independence."""
    width = max_delay_ms / buckets
    rows = [Bucket(i * width, (i + 1) * width, 0, 0) for i in range(buckets)]
    counts = [[0, 0] for _ in range(buckets)]  # [won, lost] per bucket
    for client in outcomes:
        if client.bot:
            continue
        index = min(int(client.delay_ms // width), buckets - 1)
        counts[index][0 if client.won else 1] += 1
    rows = [
        Bucket(row.low_ms, row.high_ms, won + lost, won)
        for row, (won, lost) in zip(rows, counts, strict=True)
    ]
    bots = [client for client in outcomes if client.bot]
    won_table = [[won for won, _ in counts], [lost for _, lost in counts]]
    return FairnessReport(
        mode=mode,
        units=units,
        clients=len(outcomes) - len(bots),
        bots=len(bots),
        buckets=rows,
        bots_won=sum(bot.won for bot in bots),
        units_won=sum(client.won for client in outcomes),
        test=independence_test(won_table),
        outcomes=dict(Counter(client.outcome for client in outcomes)),
        frame_lag_ms=_p50_max([client.frame_lag_ms for client in outcomes]),
        answer_ms=_p50_max([client.answer_ms for client in outcomes]),
    )
