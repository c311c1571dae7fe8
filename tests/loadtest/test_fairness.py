"""The fairness benchmark: its report by delay bucket, and a short first-come run on a real server."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from loadtest.fairness import spread_delays
from loadtest.fairness_stats import ClientOutcome, fairness_report
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
CLIENTS, UNITS, BOTS = 10, 3, 2


def test_delays_fill_every_slice_once() -> None:
    """The delays spread evenly: one per equal slice of [0, max], so buckets are the same size."""
    delays = spread_delays(100, 500, seed=1)
    assert sorted(int(delay * 1000 // 5) for delay in delays) == list(range(100))


def test_report_buckets_clients_and_counts_bots_apart() -> None:
    """Clients fall in their delay bucket (the max in the last); bots are counted on their own."""
    outcomes = [
        ClientOutcome(10, False, True, "ordered", frame_lag_ms=30, answer_ms=5),
        ClientOutcome(90, False, True, "ordered", frame_lag_ms=10, answer_ms=7),
        ClientOutcome(150, False, False, "out_of_stock"),
        ClientOutcome(200, False, False, "out_of_stock"),
        ClientOutcome(200.0001, False, True, "ordered"),
        ClientOutcome(0, True, True, "ordered"),
        ClientOutcome(0, True, False, "out_of_stock"),
    ]
    report = fairness_report("first_come", 4, outcomes, max_delay_ms=200, buckets=2)
    assert [(b.low_ms, b.high_ms, b.clients, b.won) for b in report.buckets] == [
        (0, 100, 2, 2),
        (100, 200, 3, 1),
    ]
    assert (report.clients, report.bots, report.bots_won, report.units_won) == (5, 2, 1, 4)
    assert report.bots_share_of_wins == 0.25
    assert report.outcomes == {"ordered": 4, "out_of_stock": 3}
    assert report.test is not None and report.test.degrees_of_freedom == 1
    assert report.table().splitlines()[2] == "| 0–100 ms | 2 | 2 | 100.0% |"
    assert report.frame_lag_ms == {"p50": 30, "max": 30}  # the clients that measured it
    assert report.answer_ms == {"p50": 7, "max": 7}


async def test_first_come_run_sells_each_unit_once(make_server: MakeServer, tmp_path: Path) -> None:
    """A short run: the first-come report has every bucket, each unit went to one client and the
    stock adds up; lottery either runs as well or is reported as not run, never a traceback."""
    # As the benchmark's own server does: each client's X-Forwarded-For is its address.
    server = await make_server(trusted_proxies=["127.0.0.1"])
    out = tmp_path / "fairness.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loadtest.fairness",
        *("--host", server.base_url, "--token", PRODUCER_TOKEN),
        *("--clients", str(CLIENTS), "--units", str(UNITS), "--bots", str(BOTS)),
        *("--entry-window-ms", "1500", "--timeout", str(TIMEOUT_S * 3), "--out", str(out)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(TIMEOUT_S * 8):
        output, _ = await process.communicate()
    text = output.decode()
    assert "Traceback" not in text, text
    results: dict[str, dict[str, Any]] = {r["mode"]: r for r in json.loads(out.read_text())}
    first_come = results["first_come"]
    report = first_come["report"]
    assert [bucket["clients"] for bucket in report["buckets"]] == [CLIENTS // 5] * 5
    assert (report["clients"], report["bots"], report["units_won"]) == (CLIENTS, BOTS, UNITS)
    assert report["outcomes"] == {"ordered": UNITS, "out_of_stock": CLIENTS + BOTS - UNITS}
    assert first_come["integrity"]["holds"] is True
    assert "| delay (one way) | clients | won | win rate |" in text
    lottery = results["lottery"]
    if lottery["refused"] is not None:
        assert process.returncode == 2
        assert "mode lottery: NOT RUN" in text
    else:
        assert process.returncode == 0
        assert lottery["integrity"]["holds"] is True
        assert lottery["report"]["units_won"] == UNITS
