"""The runner's summary of a gala run: game outcomes and vote-to-result latency from the CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from loadtest.summary import summarize

HEADER = ["Type", "Name", "Request Count", "Failure Count", "50%", "95%", "99%"]


def write_stats(path: Path, rows: list[tuple[str, str, int, int, float]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*HEADER, "Max Response Time"])
        for kind, name, count, failures, p50 in rows:
            writer.writerow([kind, name, count, failures, p50, p50 * 2, p50 * 3, p50 * 4])


def test_gala_summary_counts_outcomes_and_keeps_latency_apart(tmp_path: Path) -> None:
    """Outcomes split into successes and refusals by code; vote latencies are not outcomes."""
    stats = tmp_path / "gala_stats.csv"
    write_stats(
        stats,
        [
            ("WS", "connect", 4, 0, 5),
            ("WS", "cue", 16, 0, 8),
            ("GAME", "vote:counted", 3, 0, 40),
            ("GAME", "vote:already_voted", 1, 0, 30),
            ("GAME", "giveaway:entered", 4, 0, 20),
            ("GAME", "grab:won", 2, 0, 10),
            ("GAME", "grab:rain_empty", 2, 0, 10),
            ("GAME", "vote_to_result", 2, 0, 300),
            ("GAME", "vote_to_final", 1, 0, 8000),
        ],
    )
    summary = summarize(stats, scenario="gala", users=4, deal_units=None)
    assert summary.game_counts("vote") == (3, 1, {"already_voted": 1})
    assert summary.game_counts("grab") == (2, 2, {"rain_empty": 2})
    assert summary.game_counts("quiz") == (0, 0, {})
    assert "vote_to_result" not in summary.game_outcomes
    assert summary.vote_to_result_ms["p50"] == 300
    assert (summary.votes_resolved, summary.votes_in_final_only) == (2, 1)
    text = summary.text()
    assert "poll votes      3 counted, 1 refused (already_voted 1)" in text
    assert "red packets     2 won, 2 refused (rain_empty 2)" in text
