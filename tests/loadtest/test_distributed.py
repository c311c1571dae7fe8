"""``livebuy loadtest --workers N``: one Locust master and N workers, their statistics merged.

Not marked serial like the scenarios' module: eight viewers for four seconds push little, and the
test's cost is starting three Locust processes, which can overlap other tests.
"""

from __future__ import annotations

from pathlib import Path

from loadtest.config import MAX_DRAIN_S
from tests.loadtest.test_scenarios import USERS, MakeServer, assert_push_path_held, run_scenario
from tests.servers import TIMEOUT_S


async def test_distributed_run_merges_both_workers(make_server: MakeServer, tmp_path: Path) -> None:
    """--workers 2: a master and two Locust workers; the summary counts both workers' users and
    every cue each of their viewers received, merged from both workers' statistics."""
    server = await make_server()
    # Three Locust processes start, and the master waits for the workers' last reports.
    summary = await run_scenario(
        server,
        tmp_path,
        "steady",
        "--workers",
        "2",
        "--duration",
        "4",
        slack_s=MAX_DRAIN_S + TIMEOUT_S * 2,
    )
    assert summary["users_per_worker"] == [USERS // 2, USERS // 2]
    assert_push_path_held(summary, tmp_path, "steady")
    assert summary["errors"] == 0
