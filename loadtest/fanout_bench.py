"""Fan-out benchmark of the push path: livebuy next to a naive FastAPI loop and the floor.

``python -m loadtest.fanout_bench [--counts 1000,5000,10000] [--servers floor,naive,livebuy]``

Each server runs alone on CPU 1 (``taskset``); the client (asyncio + uvloop, raw sockets, one
process), Redis, livebuy's producer process and this orchestrator share CPU 0. For each server and
connection count: connect N websockets, then play cues at 5/s and 20/s for ``--phase-seconds`` each
and one burst of ``--burst`` cues, measuring deliveries/s, push latency (receive time − frame
``ts``) p50/p99/max, server CPU µs per delivery (``/proc/<pid>/stat``), the client's CPU share (is
the client the bottleneck?) and server RSS per connection. Bounded: every wait has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

from livebuy.processes import terminate

CLIENT_CPU = 0
SERVER_CPU = 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SHOW = "spring-runway"
# Handshakes in flight at once. livebuy's Redis pool (redis-py default: 100 connections, failing
# fast when exhausted) drops viewers in a bigger join storm: see docs/performance.md.
CONNECT_CONCURRENCY = 48
# A connection out of SAMPLE_EVERY parses ts from each frame; all of them count frames.
SAMPLE_EVERY = 10
DRAIN_TIMEOUT_S = 30.0
SETTLE_WINDOW_S = 0.5
IDLE_WINDOW_S = 2.0
IDLE_CPU_SHARE = 0.05
RESTARTING = 1012
# The drain's reconnect hint (livebuy.drain.RECONNECT_HINT) in a 1012 close reason.
RECONNECT_HINT = re.compile(r"reconnect in (\d+) ms")


# --- client (its own process, CPU 0) -------------------------------------------------------------


class ClientStats:
    """Counters shared by every connection of the client process."""

    def __init__(self) -> None:
        self.frames = 0
        self.closed = 0
        self.latencies: list[float] = []
        self.close_codes: dict[int, int] = {}
        # 1012 closes followed by a resume (a draining gateway).
        self.restarts = 0


class BenchConnection(asyncio.Protocol):
    """A websocket client reduced to what the benchmark needs: handshake, frame split, pong, and
    a resume with ``since`` after a draining gateway's 1012 (``on_restart`` with the hinted
    delay in seconds)."""

    def __init__(
        self,
        stats: ClientStats,
        sample: bool,
        request: bytes,
        on_restart: Callable[[BenchConnection, float], None] | None = None,
    ) -> None:
        self._stats = stats
        self.sample = sample
        self._request = request
        self._on_restart = on_restart
        self._buffer = b""
        self._upgraded = False
        self.frames = 0
        self.last_seq: int | None = None
        self.epoch: str | None = None
        self.ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stats.closed += 1
        if not self.ready.done():
            self.ready.set_result(False)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        if not self._upgraded:
            head, found, rest = buffer.partition(b"\r\n\r\n")
            if not found:
                self._buffer = buffer
                return
            self._upgraded = head.startswith(b"HTTP/1.1 101")
            if not self.ready.done():
                self.ready.set_result(self._upgraded)
            buffer = rest
        self._buffer = self._split(buffer)

    def _split(self, buffer: bytes) -> bytes:
        now_ms = time.time() * 1000
        stats = self._stats
        position, size = 0, len(buffer)
        # Where the last text frame of this read lies: its seq alone is parsed (a resume needs
        # only the last one), not every frame's.
        last_text = -1
        while size - position >= 2:
            length = buffer[position + 1] & 0x7F
            header = 2
            if length == 126:
                if size - position < 4:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 4], "big")
                header = 4
            elif length == 127:
                if size - position < 10:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 10], "big")
                header = 10
            end = position + header + length
            if end > size:
                break
            opcode = buffer[position] & 0x0F
            if opcode == 1:
                stats.frames += 1
                self.frames += 1
                last_text = position + header
                if self.epoch is None:
                    self._learn_epoch(buffer, last_text, end)
                if self.sample:
                    start = buffer.find(b'"ts":', position + header, end)
                    if start >= 0:
                        stop = buffer.find(b",", start, end)
                        stats.latencies.append(now_ms - int(buffer[start + 5 : stop]))
            elif opcode == 8:
                code = int.from_bytes(buffer[position + header : position + header + 2], "big")
                stats.close_codes[code] = stats.close_codes.get(code, 0) + 1
                if code == RESTARTING and self._on_restart is not None:
                    self._note_seq(buffer, last_text)
                    last_text = -1
                    reason = buffer[position + header + 2 : end].decode(errors="replace")
                    hint = RECONNECT_HINT.search(reason)
                    self._on_restart(self, int(hint.group(1)) / 1000 if hint else 0.0)
            elif opcode == 9 and self._transport is not None:
                # Pong, masked with a zero key as a client must mask (payload unchanged).
                payload = buffer[position + header : end]
                self._transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            position = end
        self._note_seq(buffer, last_text)
        return buffer[position:]

    def _note_seq(self, buffer: bytes, start: int) -> None:
        if start < 0:
            return
        found = buffer.find(b'"seq":', start)
        if found >= 0:
            stop = buffer.find(b",", found)
            self.last_seq = int(buffer[found + 6 : stop])

    def _learn_epoch(self, buffer: bytes, start: int, end: int) -> None:
        found = buffer.find(b'"epoch":"', start, end)
        if found >= 0:
            stop = buffer.find(b'"', found + 9, end)
            self.epoch = buffer[found + 9 : stop].decode()

    def resume_query(self) -> str:
        """``?since=&epoch=`` after the last frame seen, or nothing before the snapshot."""
        if self.last_seq is None or self.epoch is None:
            return ""
        return f"?since={self.last_seq}&epoch={self.epoch}"


def _upgrade_request(port: int, path: str) -> bytes:
    key = base64.b64encode(secrets.token_bytes(16))
    return (
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        ).encode()
        + b"Sec-WebSocket-Key: "
        + key
        + b"\r\n\r\n"
    )


async def _client(port: int, path: str, count: int) -> None:
    loop = asyncio.get_running_loop()
    stats = ClientStats()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    keep: list[tuple[asyncio.BaseTransport, BenchConnection]] = []
    resuming: set[asyncio.Task[bool]] = set()

    async def connect(sample: bool, query: str = "", delay_s: float = 0.0) -> bool:
        await asyncio.sleep(delay_s)
        async with gate:
            try:
                transport, protocol = await loop.create_connection(
                    lambda: BenchConnection(
                        stats,
                        sample,
                        _upgrade_request(port, path + query),
                        on_restart,
                    ),
                    "127.0.0.1",
                    port,
                )
                keep.append((transport, protocol))
                return await asyncio.wait_for(protocol.ready, 30)
            except (OSError, TimeoutError):
                return False

    def on_restart(protocol: BenchConnection, delay_s: float) -> None:
        # The gateway drains: resume where this connection was, after the hinted delay.
        stats.restarts += 1
        task = asyncio.create_task(connect(protocol.sample, protocol.resume_query(), delay_s))
        resuming.add(task)
        task.add_done_callback(resuming.discard)

    results = await asyncio.gather(*(connect(index % SAMPLE_EVERY == 0) for index in range(count)))
    _emit({"event": "ready", "connected": sum(results), "failed": count - sum(results)})
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while command := (await reader.readline()).decode().strip():
        if command == "reset":
            stats.frames, stats.latencies = 0, []
            for _, protocol in keep:
                protocol.frames = 0
            _emit({"event": "reset"})
        elif command == "report":
            silent = sum(1 for _, protocol in keep if protocol.frames == 0)
            _emit(
                {
                    "event": "report",
                    "frames": stats.frames,
                    "closed": stats.closed,
                    "silent": silent,
                    "close_codes": stats.close_codes,
                    "restarts": stats.restarts,
                }
            )
        elif command == "latencies":
            _emit({"event": "latencies", "values": stats.latencies})
        elif command == "quit":
            break
    for transport, _ in keep:
        transport.close()


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def client_command(port: int, path: str, count: int) -> list[str]:
    """The command line of this benchmark's client: ``count`` viewers of ``path`` on ``port``."""
    return [
        sys.executable,
        "-m",
        "loadtest.fanout_bench",
        "client",
        "--port",
        str(port),
        "--path",
        path,
        "--count",
        str(count),
    ]


def client_main(port: int, path: str, count: int) -> None:
    """Entry point of the client process."""
    import uvloop

    _raise_fd_limit()
    uvloop.run(_client(port, path, count))


# --- orchestrator --------------------------------------------------------------------------------


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size of a process."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE


@dataclass
class PhaseResult:
    """One server, one connection count, one cue pattern."""

    server: str
    connections: int
    phase: str
    cues: int
    deliveries: int
    expected: int
    seconds: float
    deliveries_per_s: float
    server_cpu_us_per_delivery: float
    server_net_us_per_delivery: float  # minus the server's idle CPU over the same time
    server_idle_cpu_share: float
    server_cpu_share: float
    client_cpu_share: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    rss_per_connection_kib: float
    silent_connections: int  # open connections that received nothing in this phase
    closed_connections: int
    close_codes: dict[str, int]


@dataclass
class Target:
    """A server under test: its pid, websocket path, and how to publish one cue."""

    name: str
    pid: int
    port: int
    path: str
    publish_url: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    # The processes doing the fan-out: the server, or ``serve --workers N``'s workers.
    pids: list[int] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        """CPU time of every fan-out process so far."""
        return sum(cpu_seconds(pid) for pid in self.pids or [self.pid])

    def rss_bytes(self) -> int:
        """Resident memory of every fan-out process."""
        return sum(rss_bytes(pid) for pid in self.pids or [self.pid])


async def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                await http.get(url, timeout=2)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


async def _wait_listening(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError(f"port {port} not listening within {timeout_s} s")


def _spawn(
    command: list[str], env: dict[str, str], log: Path, cpus: str
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(["taskset", "-c", cpus, *command], env=env, stdout=out, stderr=out)


def _livebuy_workers(name: str) -> tuple[int, str] | None:
    """``livebuy`` (one process), ``livebuy-<N>w`` (``serve --workers N``), optionally
    ``@<cpu list>`` (taskset's; default CPU 1): the worker count and CPUs, or None."""
    kind, _, cpus = name.partition("@")
    match = re.fullmatch(r"livebuy(?:-(\d+)w)?", kind)
    if match is None:
        return None
    return int(match.group(1) or 1), cpus or str(SERVER_CPU)


async def _wait_workers(port: int, workers: int, timeout_s: float = 120) -> list[int]:
    """The pids of ``serve --workers N``'s workers, once every one answers (each answer is on a
    new connection, which any worker may accept)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while len(seen) < workers and time.monotonic() < deadline:
        async with httpx.AsyncClient() as http:
            try:
                answer = await http.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                seen.add(int(answer.json()["pid"]))
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    if len(seen) < workers:
        raise RuntimeError(f"only {len(seen)} of {workers} workers answered in {timeout_s} s")
    return sorted(seen)


@asynccontextmanager
async def start_server(name: str, work: Path) -> AsyncIterator[Target]:
    """Start ``floor``, ``naive`` or ``livebuy`` on CPU 1 (livebuy's Redis and producer on CPU 0);
    ``livebuy-2w@0-1`` is ``serve --workers 2`` on CPUs 0 and 1 (see ``_livebuy_workers``)."""
    from livebuy.redis.embedded import EmbeddedRedis, free_port

    env = {**os.environ}
    port = free_port()
    log = work / f"{name.replace('@', '-at-')}.log"
    livebuy = _livebuy_workers(name)
    processes: list[subprocess.Popen[bytes]] = []
    redis: EmbeddedRedis | None = None
    try:
        if livebuy is not None:
            workers, cpus = livebuy
            redis = EmbeddedRedis(work / f"redis-{port}")
            redis.start()
            token = secrets.token_urlsafe(12)
            env.update(
                LIVEBUY_REDIS_URL=redis.url,
                LIVEBUY_PLAY_SHOWS="false",
                LIVEBUY_LOG_JSON="false",
                LIVEBUY_PRODUCER_TOKEN=token,
                LIVEBUY_SESSION_SECRET=secrets.token_urlsafe(32),
                # Between phases the benchmark's clients have gone: no viewers to drain.
                LIVEBUY_DRAIN_GRACE_MS="0",
                LIVEBUY_DRAIN_WINDOW_MS="0",
            )
            command = [sys.executable, "-m", "livebuy", "serve", "--workers"]
            server = _spawn([*command, str(workers), "--port", str(port)], env, log, cpus)
            processes.append(server)
            # The producer API runs in its own process on CPU 0, so the server's CPU is fan-out.
            producer_port = free_port()
            processes.append(
                _spawn([*command, "1", "--port", str(producer_port)], env, log, str(CLIENT_CPU))
            )
            # Several processes starting on one shared core: give them time.
            await _wait_http(f"http://127.0.0.1:{port}/readyz", timeout_s=180)
            await _wait_http(f"http://127.0.0.1:{producer_port}/readyz", timeout_s=180)
            pids = [server.pid] if workers == 1 else await _wait_workers(port, workers)
            yield Target(
                name,
                server.pid,
                port,
                f"/ws/shows/{SHOW}",
                f"http://127.0.0.1:{producer_port}/api/shows/{SHOW}/cues",
                {"Authorization": f"Bearer {token}"},
                {"cue": {"kind": "announce", "text": "load test cue " + "x" * 40}},
                pids,
            )
        else:
            module = f"loadtest.baselines.{name}"
            server = _spawn([sys.executable, "-m", module, str(port)], env, log, str(SERVER_CPU))
            processes.append(server)
            await _wait_listening(port)
            yield Target(
                name, server.pid, port, "/ws", f"http://127.0.0.1:{port}/publish", {}, None
            )
    finally:
        for process in reversed(processes):
            terminate(process, timeout_s=10)
        if redis is not None:
            redis.stop()


class ClientProcess:
    """The benchmark client, driven over its stdin/stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, target: Target, count: int) -> tuple[ClientProcess, int]:
        """Start it and wait until every connection is up (returns how many are)."""
        process = await asyncio.create_subprocess_exec(
            "taskset",
            "-c",
            str(CLIENT_CPU),
            *client_command(target.port, target.path, count),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,
        )
        client = cls(process)
        ready = await client._read(timeout_s=180)
        return client, int(ready["connected"])

    async def _read(self, timeout_s: float = 30) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout_s)
        if not line:
            raise RuntimeError("benchmark client exited")
        message: dict[str, Any] = json.loads(line)
        return message

    async def ask(self, command: str) -> dict[str, Any]:
        """Send one command and return its answer."""
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self._read()

    async def stop(self) -> None:
        """Quit and wait."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"quit\n")
        await self.process.stdin.drain()
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def _publish(http: httpx.AsyncClient, target: Target) -> None:
    response = await http.post(target.publish_url, headers=target.headers, json=target.body)
    response.raise_for_status()


async def run_phase(
    target: Target,
    client: ClientProcess,
    http: httpx.AsyncClient,
    *,
    connections: int,
    phase: str,
    rate: float | None,
    cues: int,
    rss_per_connection_kib: float,
    idle_cpu_share: float,
) -> PhaseResult:
    """Play ``cues`` at ``rate`` per second (``None``: all at once) and measure until drained."""
    await client.ask("reset")
    server_cpu = target.cpu_seconds()
    client_cpu = cpu_seconds(client.process.pid)
    started = time.monotonic()
    if rate is None:
        await asyncio.gather(*(_publish(http, target) for _ in range(cues)))
    else:
        for index in range(cues):
            await _publish(http, target)
            await asyncio.sleep(max(started + (index + 1) / rate - time.monotonic(), 0))
    expected = cues * connections
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    frames = 0
    last_change = time.monotonic()
    report: dict[str, Any] = {}
    while time.monotonic() < deadline:
        report = await client.ask("report")
        if report["frames"] != frames:
            frames, last_change = report["frames"], time.monotonic()
        if frames >= expected or time.monotonic() - last_change > 5:
            break
        await asyncio.sleep(0.02)
    seconds = last_change - started
    server_used = target.cpu_seconds() - server_cpu
    client_used = cpu_seconds(client.process.pid) - client_cpu
    latencies = sorted((await client.ask("latencies"))["values"])
    return PhaseResult(
        server=target.name,
        connections=connections,
        phase=phase,
        cues=cues,
        deliveries=frames,
        expected=expected,
        seconds=round(seconds, 3),
        deliveries_per_s=round(frames / seconds) if seconds > 0 else 0,
        server_cpu_us_per_delivery=round(server_used * 1e6 / frames, 2) if frames else 0.0,
        server_net_us_per_delivery=(
            round(max(server_used - idle_cpu_share * seconds, 0) * 1e6 / frames, 2)
            if frames
            else 0.0
        ),
        server_idle_cpu_share=round(idle_cpu_share, 3),
        server_cpu_share=round(server_used / seconds, 2) if seconds > 0 else 0.0,
        client_cpu_share=round(client_used / seconds, 2) if seconds > 0 else 0.0,
        latency_p50_ms=_percentile(latencies, 50),
        latency_p99_ms=_percentile(latencies, 99),
        latency_max_ms=round(latencies[-1], 1) if latencies else 0.0,
        rss_per_connection_kib=rss_per_connection_kib,
        silent_connections=int(report.get("silent", 0)),
        closed_connections=int(report.get("closed", 0)),
        close_codes=dict(report.get("close_codes", {})),
    )


async def settle(target: Target, timeout_s: float = 60) -> float:
    """Wait until the server is idle (it may still be sending snapshots after the handshakes).

    Returns the server's idle CPU share (background tasks, keepalive pings), measured over
    ``IDLE_WINDOW_S`` once settled, so per-delivery figures can be given net of it.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = target.cpu_seconds()
        await asyncio.sleep(SETTLE_WINDOW_S)
        if target.cpu_seconds() - before <= SETTLE_WINDOW_S * IDLE_CPU_SHARE:
            break
    before = target.cpu_seconds()
    await asyncio.sleep(IDLE_WINDOW_S)
    return (target.cpu_seconds() - before) / IDLE_WINDOW_S


def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(percent) - 1], 1)


async def bench_one(
    name: str, count: int, phase_s: float, burst: int, work: Path, settle_s: float = 60
) -> list[PhaseResult]:
    """Every phase for one server at one connection count."""
    results: list[PhaseResult] = []
    async with start_server(name, work) as target, httpx.AsyncClient(timeout=60) as http:
        rss_before = target.rss_bytes()
        client, connected = await ClientProcess.start(target, count)
        try:
            idle_share = await settle(target, settle_s)
            rss_kib = round((target.rss_bytes() - rss_before) / max(connected, 1) / 1024, 1)
            for phase, rate in (("5/s", 5.0), ("20/s", 20.0)):
                result = await run_phase(
                    target,
                    client,
                    http,
                    connections=connected,
                    phase=phase,
                    rate=rate,
                    cues=int(rate * phase_s),
                    rss_per_connection_kib=rss_kib,
                    idle_cpu_share=idle_share,
                )
                results.append(result)
                _progress(result)
            result = await run_phase(
                target,
                client,
                http,
                connections=connected,
                phase=f"burst {burst}",
                rate=None,
                cues=burst,
                rss_per_connection_kib=rss_kib,
                idle_cpu_share=idle_share,
            )
            results.append(result)
            _progress(result)
        finally:
            await client.stop()
    return results


def _progress(result: PhaseResult) -> None:
    print(
        f"{result.server:8} {result.connections:6} {result.phase:9} "
        f"{result.deliveries}/{result.expected} deliveries  {result.deliveries_per_s:>8}/s  "
        f"{result.server_cpu_us_per_delivery:6} µs/delivery "
        f"(net {result.server_net_us_per_delivery})  p50 {result.latency_p50_ms} "
        f"p99 {result.latency_p99_ms} max {result.latency_max_ms} ms  "
        f"client cpu {result.client_cpu_share:.0%}  rss {result.rss_per_connection_kib} KiB/conn"
        f"  silent {result.silent_connections} closed {result.closed_connections}"
        f" {result.close_codes or ''}",
        flush=True,
    )


def markdown_table(results: list[PhaseResult]) -> str:
    """The results as the table in docs/performance.md."""
    lines = [
        "| server | conns | cues | delivered | deliveries/s | server µs/delivery (net of idle) "
        "| server CPU "
        "| client CPU | p50 ms | p99 ms | max ms | RSS KiB/conn |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.server} | {r.connections} | {r.phase} | {r.deliveries}/{r.expected} "
            f"| {r.deliveries_per_s} | {r.server_cpu_us_per_delivery} "
            f"({r.server_net_us_per_delivery}) | {r.server_cpu_share:.0%} "
            f"| {r.client_cpu_share:.0%} | {r.latency_p50_ms} | {r.latency_p99_ms} "
            f"| {r.latency_max_ms} | {r.rss_per_connection_kib} |"
        )
    return "\n".join(lines)


async def bench(args: argparse.Namespace) -> list[PhaseResult]:
    """Every server at every count, in one run."""
    results: list[PhaseResult] = []
    with tempfile.TemporaryDirectory(prefix="livebuy-fanout-") as scratch:
        work = Path(args.logs or scratch)
        for count in args.counts:
            for name in args.servers:
                results += await bench_one(
                    name, count, args.phase_seconds, args.burst, work, args.settle_seconds
                )
    return results


def main(argv: list[str] | None = None) -> None:
    """``client`` (internal) or the benchmark."""
    parser = argparse.ArgumentParser(prog="fanout_bench", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    client = sub.add_parser("client")
    client.add_argument("--port", type=int, required=True)
    client.add_argument("--path", required=True)
    client.add_argument("--count", type=int, required=True)
    parser.add_argument("--counts", default="1000,5000,10000")
    parser.add_argument("--servers", default="floor,naive,livebuy")
    parser.add_argument("--phase-seconds", type=float, default=6.0)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=60.0,
        help="at most this long waiting for each server to go idle before measuring",
    )
    parser.add_argument("--out", type=Path, default=Path("loadtest-results/fanout.json"))
    parser.add_argument("--logs", type=Path, help="keep server logs (and Redis data) here")
    args = parser.parse_args(argv)
    if args.command == "client":
        client_main(args.port, args.path, args.count)
        return
    args.counts = [int(value) for value in args.counts.split(",")]
    args.servers = args.servers.split(",")
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
    _raise_fd_limit()
    # Redis, livebuy's producer process and the client inherit this: everything but the server.
    os.sched_setaffinity(0, {CLIENT_CPU})
    results = asyncio.run(bench(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(result) for result in results], indent=2))
    print(markdown_table(results))


if __name__ == "__main__":
    main()
