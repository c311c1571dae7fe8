"""Memory per idle websocket connection: RSS delta and the top allocation sites (tracemalloc).

``python -m loadtest.conn_memory [--connections 1000] [--rounds 2] [--sources now=.,base=DIR]``

Each source is a livebuy tree (``DIR/livebuy``): ``base=/tmp/base`` after
``git archive <commit> | tar -x -C /tmp/base`` compares a commit with the working tree in one run.
Rounds alternate the sources so both see the same machine load. Per round and source: start
``livebuy`` (this file's ``serve`` harness, on the source's code) against one embedded Redis, warm
it up with a few viewers (hub, caches, lazy imports), then connect N viewers of one show with the
fan-out benchmark's client (its own process) and read the server's RSS before and after; the
difference over N is RSS per connection. A last, traced run per source (``--trace``, tracemalloc
with 8 frames, which inflates RSS and so is kept apart) prints where the bytes went: the
allocation lines with the most bytes per connection. Bounded: every wait has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHOW = "spring-runway"
WARMUP_CONNECTIONS = 50
READY_TIMEOUT_S = 300.0
TRACE_FRAMES = 6
OWNERS = ("/livebuy/", "uvicorn/", "websockets/", "starlette/", "fastapi/")
HERE = Path(__file__).resolve()
REPO = HERE.parent.parent


# --- server harness (its own process, on one source tree) ----------------------------------------


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _site(trace: tracemalloc.Traceback) -> str:
    """Where a block was allocated: the innermost frame in a package that owns connections
    (livebuy, uvicorn, websockets, starlette, fastapi), after the innermost frame if that is
    elsewhere (asyncio making a task, for one)."""
    frames = list(reversed(trace))  # tracemalloc lists the oldest frame first
    inner = frames[0]
    for frame in frames:
        name = frame.filename
        if any(part in name for part in OWNERS):
            if frame is inner:
                return f"{_short(name)}:{frame.lineno}"
            return f"{_short(inner.filename)}:{inner.lineno} <- {_short(name)}:{frame.lineno}"
    return f"{_short(inner.filename)}:{inner.lineno}"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/livebuy/"):
        if marker in filename:
            tail = filename.split(marker, 1)[1]
            return ("livebuy/" + tail) if marker == "/livebuy/" else tail
    return filename


class Harness:
    """Answers the orchestrator's stdin commands: ``mark`` (baseline) and ``diff N``."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.baseline: tracemalloc.Snapshot | None = None
        self.rss_mark = 0

    def mark(self) -> dict[str, Any]:
        gc.collect()
        self.rss_mark = _rss_bytes()
        if self.trace:
            # Started here, not at start-up: tracing every import would take minutes.
            tracemalloc.start(TRACE_FRAMES)
            self.baseline = tracemalloc.take_snapshot()
        return {"rss": self.rss_mark}

    def diff(self, count: int, top: int) -> dict[str, Any]:
        gc.collect()
        rss = _rss_bytes()
        answer: dict[str, Any] = {"rss": rss, "rss_per_conn": (rss - self.rss_mark) / count}
        if self.trace and self.baseline is not None:
            now = tracemalloc.take_snapshot()
            sites: dict[str, list[int]] = {}
            for stat in now.compare_to(self.baseline, "traceback"):
                entry = sites.setdefault(_site(stat.traceback), [0, 0])
                entry[0] += stat.size_diff
                entry[1] += stat.count_diff
            ranked = sorted(sites.items(), key=lambda item: item[1][0], reverse=True)
            answer["traced_per_conn"] = sum(size for size, _ in sites.values()) / count
            answer["sites"] = [
                [site, size / count, blocks / count] for site, (size, blocks) in ranked[:top]
            ]
        return answer


async def _serve(port: int, trace: bool) -> None:
    import uvicorn

    from livebuy.app import create_app
    from livebuy.server import uvicorn_config
    from livebuy.settings import Settings

    settings = Settings().updated(port=port)
    config = uvicorn_config(create_app(settings, settings.redis.redis_url or ""), settings)
    server = uvicorn.Server(config)
    harness = Harness(trace)
    serving = asyncio.ensure_future(server.serve())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        command, *args = line.split()
        if command == "mark":
            _emit(harness.mark())
        elif command == "diff":
            _emit(harness.diff(int(args[0]), int(args[1])))
        elif command == "quit":
            break
    server.should_exit = True
    await asyncio.wait_for(serving, 30)


def serve_main(port: int, trace: bool) -> None:
    """Entry point of the server harness."""
    import uvloop

    uvloop.run(_serve(port, trace))


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


# --- orchestrator ---------------------------------------------------------------------------------


@dataclass
class Result:
    """One source's figures over every round."""

    source: str
    rss_per_conn: list[float] = field(default_factory=list)
    traced_per_conn: float | None = None
    sites: list[list[Any]] = field(default_factory=list)


class Process:
    """A child driven over stdin/stdout with one JSON answer per line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, command: list[str], env: dict[str, str], log: Path) -> Process:
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                *command,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=out,
                limit=1 << 22,
            )
        return cls(process)

    async def read(self, timeout_s: float = READY_TIMEOUT_S) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout_s)
        if not line:
            raise RuntimeError(f"child {self.process.pid} exited (see the log)")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.read()

    async def stop(self) -> None:
        assert self.process.stdin is not None
        if self.process.returncode is None:
            self.process.stdin.write(b"quit\n")
            await self.process.stdin.drain()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def _wait_ready(port: int) -> None:
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT_S
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (
                    await http.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                ).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server on {port} not ready in {READY_TIMEOUT_S} s")


async def _connect(port: int, count: int, work: Path) -> tuple[Process, int]:
    # Imported here, in the orchestrator only: the server harness imports nothing of this tree.
    from loadtest.fanout_bench import client_command

    client = await Process.start(
        client_command(port, f"/ws/shows/{SHOW}", count),
        {**os.environ, "PYTHONPATH": str(REPO)},
        work / "client.log",
    )
    ready = await client.read()
    # Under tracing a loaded machine may miss the client's handshake timeout for a few viewers:
    # the figures are per connected viewer.
    connected: int = ready["connected"]
    if connected < count // 2:
        raise RuntimeError(f"only {connected} of {count} viewers connected")
    return client, connected


async def measure(
    source: Path, redis_url: str, connections: int, trace: bool, top: int, work: Path
) -> dict[str, Any]:
    """One server on ``source``: warm up, mark, connect ``connections`` viewers, diff."""
    from livebuy.redis.embedded import free_port

    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "LIVEBUY_REDIS_URL": redis_url,
        "LIVEBUY_PLAY_SHOWS": "false",
        "LIVEBUY_LOG_JSON": "false",
        "LIVEBUY_PRODUCER_TOKEN": secrets.token_urlsafe(12),
        "LIVEBUY_SESSION_SECRET": secrets.token_urlsafe(32),
        "LIVEBUY_DRAIN_GRACE_MS": "0",
        "LIVEBUY_DRAIN_WINDOW_MS": "0",
    }
    command = [sys.executable, str(HERE), "serve", "--port", str(port)]
    server = await Process.start(
        [*command, *(["--trace"] if trace else [])], env, work / "server.log"
    )
    try:
        await _wait_ready(port)
        warm, _ = await _connect(port, WARMUP_CONNECTIONS, work)
        await warm.stop()
        await server.ask("mark")
        client, connected = await _connect(port, connections, work)
        try:
            answer = await server.ask(f"diff {connected} {top}")
            answer["connected"] = connected
            return answer
        finally:
            await client.stop()
    finally:
        await server.stop()


async def run(args: argparse.Namespace, sources: dict[str, Path]) -> list[Result]:
    """Alternate the sources for ``rounds`` untraced rounds, then one traced run each."""
    from livebuy.redis.embedded import EmbeddedRedis

    results = {name: Result(name) for name in sources}
    with tempfile.TemporaryDirectory(prefix="livebuy-conn-memory-") as scratch:
        work = Path(scratch)
        with EmbeddedRedis(work / "redis") as redis:
            for round_ in range(args.rounds):
                for name, path in sources.items():
                    answer = await measure(path, redis.url, args.connections, False, args.top, work)
                    results[name].rss_per_conn.append(answer["rss_per_conn"])
                    print(
                        f"round {round_ + 1} {name}: {answer['rss_per_conn'] / 1024:.1f} KiB/conn"
                    )
            if args.trace:
                for name, path in sources.items():
                    answer = await measure(path, redis.url, args.connections, True, args.top, work)
                    results[name].traced_per_conn = answer["traced_per_conn"]
                    results[name].sites = answer["sites"]
    return list(results.values())


def report(results: list[Result], connections: int) -> str:
    """Markdown: RSS per connection per source (median of the rounds), then each source's sites."""
    lines = [
        f"{connections} idle viewers of one show; RSS per connection is the median of the rounds.",
        "",
        "| source | RSS KiB/conn (median) | rounds | tracemalloc KiB/conn |",
        "|---|---:|---|---:|",
    ]
    for result in results:
        rounds = ", ".join(f"{value / 1024:.1f}" for value in result.rss_per_conn)
        traced = "" if result.traced_per_conn is None else f"{result.traced_per_conn / 1024:.1f}"
        median = (
            f"{statistics.median(result.rss_per_conn) / 1024:.1f}" if result.rss_per_conn else ""
        )
        lines.append(f"| {result.source} | {median} | {rounds} | {traced} |")
    for result in results:
        if not result.sites:
            continue
        lines += [
            "",
            f"Top allocation sites, {result.source} (bytes and blocks per connection):",
            "",
        ]
        lines += ["| site | bytes | blocks |", "|---|---:|---:|"]
        lines += [
            f"| `{site}` | {size:.0f} | {blocks:.2f} |" for site, size, blocks in result.sites
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """``serve`` (internal) or the measurement."""
    parser = argparse.ArgumentParser(prog="conn_memory", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--trace", action="store_true")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sources", default=f"now={REPO}")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-trace", dest="trace", action="store_false")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve_main(args.port, args.trace)
        return
    sources: dict[str, Path] = {}
    for item in args.sources.split(","):
        name, _, path = item.partition("=")
        sources[name] = Path(path or ".").resolve()
    print(report(asyncio.run(run(args, sources)), args.connections))


if __name__ == "__main__":
    main()
