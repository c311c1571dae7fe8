"""A distributed run's workers as the Locust master sees them, from their periodic reports.

Locust's master merges the workers' request statistics itself (each ``StatsEntry`` with its
response-time histogram, so the summary's percentiles come from the merged histogram, never an
average of the workers' percentiles). Every livebuy figure, push latency included, travels that
way: users report frames as Locust requests (``loadtest/stats.py``). What the master does not keep
is how many users each worker held, and whether a worker's last report is in: a worker reports
every 3 s (every second with the locustfile's setting), and a headless master waits only 0.5 s for
the last reports when it quits, so a stop could lose the frames of the last seconds. ``WorkerReports`` keeps both, so the shape can stop the
users first and quit once every worker has reported with no user left.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class WorkerReports:
    """Users per worker (the peak each reported) and the count in each worker's latest report."""

    def __init__(self) -> None:
        self._order: list[str] = []
        self._peak: dict[str, int] = {}
        self._latest: dict[str, int] = {}

    def receive(self, client_id: str, data: dict[str, Any]) -> None:
        """One worker report (Locust's ``worker_report`` event on the master)."""
        users = int(data.get("user_count", 0))
        if client_id not in self._peak:
            self._order.append(client_id)
        self._peak[client_id] = max(self._peak.get(client_id, 0), users)
        self._latest[client_id] = users

    def users_per_worker(self) -> list[int]:
        """The most users each worker held, in the order the workers first reported."""
        return [self._peak[client_id] for client_id in self._order]

    def drained(self) -> bool:
        """Whether every worker that reported has since reported holding no user: its statistics
        are in the master's, up to the last frame its users received."""
        return bool(self._latest) and not any(self._latest.values())

    def write(self, path: Path) -> None:
        """Save ``users_per_worker`` as JSON for the runner's summary."""
        path.write_text(json.dumps({"users_per_worker": self.users_per_worker()}))


def read_users_per_worker(path: Path) -> list[int]:
    """What ``WorkerReports.write`` saved (empty when the run was not distributed)."""
    if not path.exists():
        return []
    users: list[int] = json.loads(path.read_text())["users_per_worker"]
    return users


# The master's record of this run (one per Locust process; only the master's is fed).
REPORTS = WorkerReports()
