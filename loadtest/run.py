"""``livebuy loadtest`` / ``python -m loadtest.run``: one scenario, headless, bounded in time.

Starts a server (embedded Redis + ``livebuy serve``) unless ``--host`` targets one, runs Locust with
the scenario's shape, writes Locust's CSV and HTML report to ``--out`` and prints the summary.
Exit status 1 when a seq gap or an oversold unit was seen.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import websocket

from livebuy.processes import terminate
from livebuy.redis.embedded import free_port
from loadtest import fairness
from loadtest.config import DROP_MODES, MAX_DRAIN_S, SCENARIOS, LoadTestConfig, auction_id
from loadtest.local_server import local_server
from loadtest.server_metrics import order_answers, scrape
from loadtest.summary import Summary, summarize
from loadtest.workers import read_users_per_worker

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Time for Locust to start and stop, beyond the scenario's own duration.
LOCUST_OVERHEAD_S = 60.0
# Distributed runs: how long the master waits for every worker to connect, and each worker to
# leave after the master.
WORKERS_READY_S = 30.0
WORKER_EXIT_S = 10.0


def _worker_count(raw: str) -> int:
    count = int(raw)
    if count < 0:
        raise argparse.ArgumentTypeError(f"{count}: at least 0")
    return count


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="livebuy loadtest", description=__doc__)
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--users", type=int, default=50, help="users to hold")
    parser.add_argument("--spawn-rate", type=float, default=25.0, help="users started per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds, ramp included")
    parser.add_argument("--cue-rate", type=float, default=2.0, help="producer cues per second")
    parser.add_argument("--deal-units", type=int, help="flash: units on sale (default users/2)")
    parser.add_argument("--chat-rate", type=float, default=0.5, help="chat messages/s per chatter")
    parser.add_argument(
        "--drop-mode", choices=DROP_MODES, default="first_come", help="drop: how the deal sells"
    )
    parser.add_argument(
        "--max-delay-ms", type=float, default=500.0, help="drop: users tap after 0..this ms"
    )
    parser.add_argument("--show", default="spring-runway", help="show id")
    parser.add_argument(
        "--host", help="target this server (http://host:port) instead of starting one"
    )
    parser.add_argument("--token", help="producer token of --host (default LIVEBUY_PRODUCER_TOKEN)")
    parser.add_argument(
        "--workers",
        type=_worker_count,
        default=0,
        help="Locust worker processes beside a master (0: one process runs everything)",
    )
    parser.add_argument("--out", type=Path, default=Path("loadtest-results"), help="report folder")
    return parser.parse_args(argv)


def run_locust(config: LoadTestConfig, host: str, out: Path, workers: int) -> Path:
    """Run Locust headless for the scenario; returns the stats CSV path.

    ``workers`` 0: one Locust process runs the users and the producer. ``workers`` N ≥ 1: a master
    (the producer, the shape, the merged statistics and reports) and N worker processes running
    the users, all on this machine, so one command drives more viewers than one process can.
    """
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / config.scenario
    workers_report_path(out, config.scenario).unlink(missing_ok=True)
    # A master stops the workers' users before it quits (the shape's drain): allow for it.
    drain_s = MAX_DRAIN_S if workers else 0.0
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--html",
        str(prefix.with_suffix(".html")),
        "--loglevel",
        "WARNING",
        "--only-summary",
        "--run-time",
        f"{int(config.duration_s + config.ramp_s + 10 + drain_s)}s",
    ]
    timeout_s = config.duration_s + LOCUST_OVERHEAD_S + drain_s
    if workers == 0:
        env = {**os.environ, **config.to_env()}
        subprocess.run(command, env=env, timeout=timeout_s, check=False)
    else:
        run_distributed(command, config, out, workers, timeout_s)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"Locust wrote no stats to {stats}")
    return stats


def workers_report_path(out: Path, scenario: str) -> Path:
    """Where a distributed run's master saves the users each worker held."""
    return out / f"{scenario}_workers.json"


def run_distributed(
    master_command: list[str], config: LoadTestConfig, out: Path, workers: int, timeout_s: float
) -> None:
    """A Locust master with ``master_command`` and ``workers`` worker processes on one free
    port of 127.0.0.1; workers' output goes to ``<out>/<scenario>_worker<i>.log``."""
    port = free_port()
    report = workers_report_path(out, config.scenario)
    env = {**os.environ, **replace(config, workers_report=str(report)).to_env()}
    master = [
        *master_command,
        "--master",
        "--master-bind-host",
        "127.0.0.1",
        "--master-bind-port",
        str(port),
        "--expect-workers",
        str(workers),
        "--expect-workers-max-wait",
        str(int(WORKERS_READY_S)),
    ]
    worker = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--worker",
        "--master-host",
        "127.0.0.1",
        "--master-port",
        str(port),
        "--loglevel",
        "WARNING",
    ]
    started: list[subprocess.Popen[bytes]] = []
    logs = [(out / f"{config.scenario}_worker{index}.log").open("wb") for index in range(workers)]
    try:
        leader = subprocess.Popen(master, env=env)
        started.append(leader)
        for log in logs:
            started.append(subprocess.Popen(worker, env=env, stdout=log, stderr=log))
        try:
            leader.wait(timeout=timeout_s + WORKERS_READY_S)
        except subprocess.TimeoutExpired:
            pass  # the stats CSV written so far is the report; terminate() below ends the run
        # A worker leaves when the master tells it to quit; give it that long, then stop it.
        deadline = time.monotonic() + WORKER_EXIT_S
        for process in started[1:]:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
    finally:
        for process in reversed(started):
            terminate(process, timeout_s=10)
        for log in logs:
            log.close()


def _http_json(
    method: str, url: str, token: str | None = None, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def deal_sku(host: str, product_id: str) -> str:
    """The SKU a Buyer taps: the deal product's first variant."""
    status, product = _http_json("GET", f"{host}/api/catalog/products/{product_id}")
    if status != 200:
        raise RuntimeError(f"deal product {product_id!r}: HTTP {status}")
    sku: str = product["variants"][0]["sku"]
    return sku


def restock(host: str, token: str, sku: str, units: int) -> None:
    """Make sure the SKU has at least the deal's units, so the deal (not stock) is the limit."""
    status, level = _http_json("GET", f"{host}/api/inventory/{sku}")
    if status != 200:
        return  # commerce not served: the Buyers will report it
    missing = units - int(level["available"])
    if missing > 0:
        _http_json("POST", f"{host}/api/inventory/{sku}/restock", token, {"units": missing})


def stock_holds(host: str, sku: str) -> bool | None:
    """Whether the SKU's counters still add up and none is negative (None: not served)."""
    status, level = _http_json("GET", f"{host}/api/inventory/{sku}")
    if status != 200:
        return None
    counters = [level[name] for name in ("available", "reserved", "sold")]
    total = level["initial"] + level["restocked"]
    return bool(min(counters) >= 0 and sum(counters) == total)


def auction_end(host: str, show_id: str, lot: str) -> dict[str, Any] | None:
    """The auction ``lot`` as a new viewer's snapshot shows it (open, or ended in the last minute)."""
    url = host.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    # No Origin: the server allow-lists browser origins, and this is not a browser.
    socket = websocket.create_connection(
        f"{url}/ws/shows/{show_id}", timeout=10, suppress_origin=True
    )
    try:
        snapshot = json.loads(socket.recv())
    finally:
        socket.close()
    for auction in snapshot.get("data", {}).get("auctions") or []:
        if auction.get("auction_id") == lot:
            fields = ("status", "reason", "price", "leader_handle", "bids", "started_at", "ends_at")
            return {name: auction.get(name) for name in fields}
    return None


def run_scenario(config: LoadTestConfig, host: str, out: Path, workers: int) -> Summary:
    """Set up (restock for ``flash`` and ``drop``), run Locust, check stock and summarize."""
    selling = config.scenario in ("flash", "drop")
    sku = deal_sku(host, config.deal_product) if selling else None
    if sku is not None:
        restock(host, config.producer_token, sku, config.deal_units)
    stats = run_locust(config, host, out, workers)
    auction = None
    if config.scenario == "auction":
        auction = auction_end(host, config.show_id, auction_id(config.run_id))
    server_orders = order_answers(scrape(host)) if selling else {}
    summary = summarize(
        stats,
        scenario=config.scenario,
        users=config.users,
        deal_units=config.deal_units if sku is not None else None,
        stock_consistent=stock_holds(host, sku) if sku is not None else None,
        auction=auction,
        users_per_worker=read_users_per_worker(workers_report_path(out, config.scenario)),
    )
    return replace(summary, server_orders=server_orders)


def run(args: argparse.Namespace) -> Summary:
    """Run one scenario and write ``<out>/<scenario>_summary.json``."""
    token = args.token or os.environ.get("LIVEBUY_PRODUCER_TOKEN") or secrets.token_urlsafe(16)
    deal_units = args.deal_units if args.deal_units is not None else max(args.users // 2, 1)
    config = LoadTestConfig(
        scenario=args.scenario,
        show_id=args.show,
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration_s=args.duration,
        cue_rate=args.cue_rate,
        deal_units=deal_units,
        chat_rate=args.chat_rate,
        drop_mode=args.drop_mode,
        max_delay_ms=args.max_delay_ms,
        producer_token=token,
        run_id=f"{int(time.time())}-{secrets.token_hex(3)}",
    )
    if args.host:
        summary = run_scenario(config, args.host.rstrip("/"), args.out, args.workers)
    else:
        # Every Locust user comes from this machine's one address: lift the per-IP cap on lottery
        # entries (unknown to a server without lottery drops, which ignores it).
        with local_server(token, env={"LIVEBUY_DROP_ENTRIES_PER_MINUTE": "0"}) as server:
            summary = run_scenario(config, server.base_url, args.out, args.workers)
    (args.out / f"{config.scenario}_summary.json").write_text(
        json.dumps(summary.as_dict(), indent=2)
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    """Entry point; the exit status says whether the push path and the stock held.

    ``fairness`` is the fairness benchmark (``python -m loadtest.fairness``), with its own options.
    """
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["fairness"]:
        return fairness.main(argv[1:])
    args = parse_args(argv)
    summary = run(args)
    print(summary.text())
    print(f"reports in {args.out}/ ({args.scenario}_stats.csv, {args.scenario}.html)")
    broken_stock = summary.stock_consistent is False
    return 1 if summary.seq_gaps or summary.oversell or broken_stock else 0


if __name__ == "__main__":
    sys.exit(main())
