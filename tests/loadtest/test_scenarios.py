"""Smoke runs of each Locust scenario against a real server: small N, bounded time."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer

# Timing-sensitive under CPU contention: scripts/test runs these after the parallel phase,
# alone on the machine (see the serial marker in pyproject.toml).
pytestmark = pytest.mark.serial

MakeServer = Callable[..., Awaitable[LiveServer]]
USERS = 8
DURATION_S = 6


async def run_scenario(
    server: LiveServer, out: Path, scenario: str, *extra: str, slack_s: float = 0.0
) -> dict[str, Any]:
    """``python -m loadtest.run`` against ``server``, given ``slack_s`` more than a one-process
    run; returns the summary it wrote."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loadtest.run",
        scenario,
        "--host",
        server.base_url,
        "--token",
        PRODUCER_TOKEN,
        "--users",
        str(USERS),
        "--spawn-rate",
        str(USERS * 2),
        "--duration",
        str(DURATION_S),
        "--cue-rate",
        "4",
        "--out",
        str(out),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(DURATION_S + TIMEOUT_S * 3 + slack_s):
        output, _ = await process.communicate()
    assert (out / f"{scenario}_summary.json").exists(), output.decode()[-3000:]
    summary: dict[str, Any] = json.loads((out / f"{scenario}_summary.json").read_text())
    return summary


def request_types(out: Path, scenario: str) -> set[tuple[str, str]]:
    with (out / f"{scenario}_stats.csv").open(newline="") as file:
        return {(row["Type"], row["Name"]) for row in csv.DictReader(file)}


def assert_push_path_held(summary: dict[str, Any], out: Path, scenario: str) -> None:
    """Every viewer connected and stayed, got every cue, in seq order; WS rows are in the CSV."""
    assert summary["viewers_held"] == USERS
    assert summary["cues_posted"] > 0
    assert summary["cues_received"] == USERS * summary["cues_posted"]
    assert summary["seq_gaps"] == 0
    assert {("WS", "snapshot"), ("WS", "cue")} <= request_types(out, scenario)
    assert (out / f"{scenario}.html").exists()


async def test_steady_viewers_receive_every_cue(make_server: MakeServer, tmp_path: Path) -> None:
    """steady: every viewer receives every producer cue with no seq gap and no error."""
    server = await make_server()
    summary = await run_scenario(server, tmp_path, "steady")
    assert_push_path_held(summary, tmp_path, "steady")
    assert summary["errors"] == 0


async def test_flash_sells_exactly_the_units(make_server: MakeServer, tmp_path: Path) -> None:
    """flash: everyone taps one deal; exactly its units are ordered, the rest are out of stock."""
    server = await make_server()
    units = 3
    summary = await run_scenario(server, tmp_path, "flash", "--deal-units", str(units))
    assert_push_path_held(summary, tmp_path, "flash")
    assert summary["oversell"] == 0
    assert summary["order_outcomes"] == {"ordered": units, "out_of_stock": USERS - units}
    assert summary["stock_consistent"] is True
    assert summary["errors"] == 0
    # The server's own histogram (this process's registry: earlier tests' orders count too).
    answers = summary["server_orders"]
    assert answers["2xx"]["count"] >= units and answers["4xx"]["count"] >= USERS - units
    assert 0 < answers["2xx"]["p50_le_ms"] <= answers["2xx"]["p99_le_ms"]


async def test_chat_storm_delivers_chat_and_cues(make_server: MakeServer, tmp_path: Path) -> None:
    """chat-storm: chatters post while cues play; chat frames arrive and no seq is skipped."""
    server = await make_server()
    summary = await run_scenario(server, tmp_path, "chat-storm", "--chat-rate", "2")
    assert_push_path_held(summary, tmp_path, "chat-storm")
    assert summary["chat_frames"] > 0
    assert ("WS", "chat") in request_types(tmp_path, "chat-storm")


async def test_gala_players_play_every_game(make_server: MakeServer, tmp_path: Path) -> None:
    """gala: Players vote, answer the quiz, enter the giveaway and grab packets; none of it fails."""
    server = await make_server()
    packets = 3
    summary = await run_scenario(
        server, tmp_path, "gala", "--duration", "8", "--deal-units", str(packets)
    )
    assert summary["viewers_held"] == USERS
    assert summary["seq_gaps"] == 0
    assert summary["errors"] == 0
    outcomes = summary["game_outcomes"]
    assert outcomes.get("vote:counted", 0) > 0
    assert outcomes.get("quiz:counted", 0) > 0
    assert outcomes.get("giveaway:entered", 0) > 0
    assert outcomes.get("grab:won", 0) == packets  # every Player grabs once: the rain runs dry
    assert outcomes.get("grab:rain_empty", 0) == USERS - packets
    # Each counted vote is seen in a results frame, live or (the last of a burst) the final one.
    assert summary["votes_resolved"] + summary["votes_in_final_only"] > 0


async def test_auction_bid_war_sells_the_lot_once(make_server: MakeServer, tmp_path: Path) -> None:
    """auction: bidders war in the last seconds; accepted bids reach the bidder's own screen, the
    lot is sold to the one winner, and no request, frame or task fails."""
    server = await make_server()
    summary = await run_scenario(server, tmp_path, "auction", "--duration", "8")
    assert summary["viewers_held"] == USERS
    assert summary["seq_gaps"] == 0
    assert summary["errors"] == 0
    outcomes = summary["game_outcomes"]
    assert outcomes.get("bid:accepted", 0) + outcomes.get("max_bid:accepted", 0) > 0
    assert summary["bids_timed"] > 0
    assert summary["auction"]["status"] == "sold"
    assert outcomes.get("auction:won") == 1
    assert ("GAME", "bid_to_screen") in request_types(tmp_path, "auction")
    exceptions = (tmp_path / "auction_exceptions.csv").read_text().splitlines()
    assert exceptions[1:] == []
