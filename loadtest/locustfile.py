"""livebuy load test: ``locust -f loadtest/locustfile.py`` (the runner, ``livebuy loadtest``, sets it up).

Users (``Viewer``, ``Chatter``, ``Buyer``, ``Player``, ``DropUser``, ``AuctionUser``) connect over real websockets; the shape plays the scenario
named by ``LIVEBUY_LOADTEST_SCENARIO``; the master posts producer cues so viewers receive frames.
In a distributed run (``livebuy loadtest --workers N``) the master also keeps the workers' reports
(``loadtest/workers.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from locust import events, runners
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadtest.auctions import AuctionUser
from loadtest.config import LoadTestConfig
from loadtest.cues import CuePublisher
from loadtest.drops import DropUser
from loadtest.player import Player
from loadtest.shapes import ScenarioShape
from loadtest.users import Buyer, Chatter, Viewer
from loadtest.workers import REPORTS

__all__ = ["AuctionUser", "Buyer", "Chatter", "DropUser", "Player", "ScenarioShape", "Viewer"]

_publisher: list[CuePublisher] = []

# A master drops a worker that missed 3 heartbeats (1 s apart) and stops the run when none is
# left; a worker spawning hundreds of websocket users on a loaded machine misses them for longer
# (seen: both workers dropped 4-6 s into a 1,000-user ramp at load average 20). Only the master
# reads it.
runners.HEARTBEAT_LIVENESS = 30
# Workers report their statistics every second instead of every 3 s, so the master's drain at the
# end of a run (``loadtest/workers.py``) waits about a second for the last reports.
runners.WORKER_REPORT_INTERVAL = 1.0


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _start_producer(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    publisher = CuePublisher(environment, LoadTestConfig.from_env())
    _publisher.append(publisher)
    publisher.start()


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _stop_producer(environment: Environment, **_: Any) -> None:
    while _publisher:
        _publisher.pop().stop()


@events.worker_report.add_listener  # type: ignore[untyped-decorator]
def _worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    REPORTS.receive(client_id, data)


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _save_worker_reports(environment: Environment, **_: Any) -> None:
    config = LoadTestConfig.from_env()
    if isinstance(environment.runner, MasterRunner) and config.workers_report:
        REPORTS.write(Path(config.workers_report))
