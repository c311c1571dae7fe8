"""What an idle livebuy costs: CPU of the server and its Redis, and Redis commands/s, no viewers.

Starts a real ``livebuy serve`` (demo content, one worker) on an embedded redis-server (or on
``--redis-url``), waits until it answers ``/readyz`` and then ``--warmup-seconds`` more (the
demo show starts a few seconds after boot), then samples over ``--seconds``: the server's and
redis-server's CPU time from ``/proc/<pid>/stat`` (as % of one core) and Redis's
``INFO commandstats`` delta (commands/s, the top commands). ``--no-play-shows`` measures a
process that runs no show player (as the fan-out benchmark's server does)::

    python -m loadtest.idle_cpu
    python -m loadtest.idle_cpu --no-play-shows --seconds 20

``--viewers N`` connects N idle websocket viewers of one show first (the fan-out benchmark's
client, its own process, answering pings as every client does), so the window measures what an
idle server spends per connected viewer (keepalive, timers, per-connection work).
``--sources now=.,base=DIR`` runs the server on each tree in turn (``DIR/livebuy``, e.g. after
``git archive <commit> | tar -x -C DIR``), ``--rounds`` times, alternating, so both see the
same machine load::

    python -m loadtest.idle_cpu --no-play-shows --viewers 5000 --seconds 40 \
        --sources base=/tmp/base,now=. --rounds 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis as redis_sync

from livebuy.processes import terminate
from livebuy.redis.embedded import EmbeddedRedis, free_port
from loadtest.fanout_bench import client_command
from loadtest.local_server import wait_ready

TICKS = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT_S = 60
VIEWER_SHOW = "spring-runway"
REPO = Path(__file__).resolve().parent.parent


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def command_counts(client: redis_sync.Redis) -> dict[str, int]:
    """Calls per command so far (``INFO commandstats``)."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()}


@dataclass(frozen=True)
class IdleSample:
    """One measured window."""

    seconds: float
    server_cpu_share: float
    redis_cpu_share: float
    commands_per_s: float
    top: list[tuple[str, float]]


@contextmanager
def _redis(url: str | None, data: Path) -> Iterator[str]:
    if url is not None:
        yield url
        return
    with EmbeddedRedis(data / "redis") as embedded:
        yield embedded.url


@contextmanager
def idle_server(
    redis_url: str | None,
    *,
    play_shows: bool,
    env: dict[str, str] | None = None,
    source: Path | None = None,
) -> Iterator[tuple[int, str, int]]:
    """A ready ``livebuy serve`` with the demo content (on ``source``'s code if given); yields
    its pid, its Redis URL and its port."""
    with tempfile.TemporaryDirectory(prefix="livebuy-idle-") as scratch:
        data = Path(scratch)
        with _redis(redis_url, data) as url:
            port = free_port()
            server_env = {
                **os.environ,
                "LIVEBUY_REDIS_URL": url,
                "LIVEBUY_PORT": str(port),
                "LIVEBUY_DATA_DIR": str(data / "state"),
                "LIVEBUY_PRODUCER_TOKEN": secrets.token_urlsafe(12),
                "LIVEBUY_SESSION_SECRET": secrets.token_urlsafe(32),
                "LIVEBUY_PLAY_SHOWS": "true" if play_shows else "false",
                "LIVEBUY_LOG_JSON": "false",
                **({"PYTHONPATH": str(source)} if source is not None else {}),
                **(env or {}),
            }
            with (data / "server.log").open("wb") as log:
                server = subprocess.Popen(
                    [sys.executable, "-m", "livebuy", "serve", "--workers", "1"],
                    env=server_env,
                    stdout=log,
                    stderr=log,
                    # ``-m`` puts the working directory before PYTHONPATH: run in the source tree.
                    cwd=source,
                )
                try:
                    wait_ready(f"http://127.0.0.1:{port}", server, READY_TIMEOUT_S)
                    yield server.pid, url, port
                finally:
                    terminate(server, timeout_s=15)


@contextmanager
def idle_viewers(port: int, count: int) -> Iterator[int]:
    """``count`` websocket viewers of the demo show, connected (yields how many are) and idle."""
    client = subprocess.Popen(
        client_command(port, f"/ws/shows/{VIEWER_SHOW}", count),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert client.stdout is not None
        ready = json.loads(client.stdout.readline() or b"{}")
        if "connected" not in ready:
            raise RuntimeError("the viewers' client exited")
        yield int(ready["connected"])
    finally:
        assert client.stdin is not None
        try:
            client.stdin.write(b"quit\n")
            client.stdin.close()
        except BrokenPipeError:
            pass
        terminate(client, timeout_s=15)


def measure(server_pid: int, redis_url: str, seconds: float, top: int = 12) -> IdleSample:
    """Sample both processes' CPU and Redis's command counts over ``seconds``."""
    client = redis_sync.Redis.from_url(redis_url)
    try:
        redis_pid = int(client.info("server")["process_id"])
        started = time.monotonic()
        server_before, redis_before = cpu_seconds(server_pid), cpu_seconds(redis_pid)
        counts_before = command_counts(client)
        time.sleep(seconds)
        counts_after = command_counts(client)
        server_after, redis_after = cpu_seconds(server_pid), cpu_seconds(redis_pid)
        elapsed = time.monotonic() - started
    finally:
        client.close()
    # The two INFO calls of the measurement itself are not the server's.
    deltas = {
        name: calls - counts_before.get(name, 0) - (2 if name == "info" else 0)
        for name, calls in counts_after.items()
    }
    rates = sorted(
        ((name, delta / elapsed) for name, delta in deltas.items() if delta > 0),
        key=lambda row: -row[1],
    )
    return IdleSample(
        seconds=elapsed,
        server_cpu_share=(server_after - server_before) / elapsed,
        redis_cpu_share=(redis_after - redis_before) / elapsed,
        commands_per_s=sum(rate for _, rate in rates),
        top=rates[:top],
    )


def report(sample: IdleSample, label: str) -> str:
    """The sample as markdown rows."""
    lines = [
        f"### {label}: {sample.seconds:.1f} s, load average "
        f"{' '.join(f'{value:.2f}' for value in os.getloadavg())}",
        "",
        "| process | % of a core |",
        "|---|---:|",
        f"| livebuy serve | {sample.server_cpu_share:.1%} |",
        f"| redis-server | {sample.redis_cpu_share:.1%} |",
        "",
        f"Redis commands/s: {sample.commands_per_s:.1f}",
        "",
        "| command | calls/s |",
        "|---|---:|",
        *(f"| {name} | {rate:.1f} |" for name, rate in sample.top),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Start, settle, measure, print (per source and round, alternating)."""
    parser = argparse.ArgumentParser(prog="idle_cpu", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="the measured window")
    parser.add_argument(
        "--warmup-seconds", type=float, default=8.0, help="after /readyz, before measuring"
    )
    parser.add_argument("--redis-url", help="use this Redis (default: an embedded one)")
    parser.add_argument(
        "--play-shows",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the show player in the measured process (the default of `livebuy serve`)",
    )
    parser.add_argument("--viewers", type=int, default=0, help="idle viewers connected first")
    parser.add_argument(
        "--sources", help="name=DIR,... : livebuy trees to compare (default: this one)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds per source")
    args = parser.parse_args(argv)
    sources: dict[str, Path | None] = {"now": None}
    if args.sources:
        sources = {}
        for item in args.sources.split(","):
            name, _, path = item.partition("=")
            sources[name] = Path(path or ".").resolve()
    label = "play shows" if args.play_shows else "no show player"
    shares: dict[str, list[float]] = {name: [] for name in sources}
    for round_ in range(args.rounds):
        for name, source in sources.items():
            with idle_server(args.redis_url, play_shows=args.play_shows, source=source) as (
                pid,
                url,
                port,
            ):
                connected = 0
                with contextlib.ExitStack() as stack:
                    if args.viewers:
                        connected = stack.enter_context(idle_viewers(port, args.viewers))
                    time.sleep(args.warmup_seconds)
                    sample = measure(pid, url, args.seconds)
            shares[name].append(sample.server_cpu_share)
            title = f"{label}, {name} round {round_ + 1}, {connected} viewers"
            print(report(sample, title), flush=True)
    if len(sources) > 1 or args.rounds > 1:
        print("\n| source | livebuy serve, % of a core per round |\n|---|---|")
        for name, values in shares.items():
            print(f"| {name} | {' / '.join(f'{value:.1%}' for value in values)} |")


if __name__ == "__main__":
    main()
