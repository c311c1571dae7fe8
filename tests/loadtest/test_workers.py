"""The master's record of a distributed run's workers, from Locust's worker reports."""

from __future__ import annotations

from pathlib import Path

from loadtest.workers import WorkerReports, read_users_per_worker


def test_drained_only_once_every_worker_reports_no_user(tmp_path: Path) -> None:
    """Drained needs each worker's latest report at 0 users; the peak per worker is kept."""
    reports = WorkerReports()
    assert not reports.drained()
    reports.receive("a", {"user_count": 3})
    reports.receive("b", {"user_count": 2})
    reports.receive("a", {"user_count": 0})
    assert not reports.drained()
    reports.receive("b", {"user_count": 0})
    assert reports.drained()
    reports.write(tmp_path / "workers.json")
    assert read_users_per_worker(tmp_path / "workers.json") == [3, 2]
    assert read_users_per_worker(tmp_path / "absent.json") == []
