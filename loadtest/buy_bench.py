"""Buy-now throughput of a flash deal through HTTP, next to ``GET /healthz`` of the same app.

Starts an embedded ``redis-server`` and ``python -m livebuy serve`` (or targets ``--url``), then
in one run measures: requests/s of ``GET /healthz``, orders/s of one-tap deal buys that all
succeed, attempts/s of a flash storm (``--storm`` attempts for 100 units, the rest refused) and
refusals/s once that deal is sold out (by the buyers of the earlier phases, then as first taps
of viewers whose session the server no longer holds in memory), each with p50/p99 latency. The
client is a minimal keep-alive HTTP/1.1 client on asyncio streams so that it, not the server, is
never the bottleneck; ``--connections`` requests are in flight at once. ``--profile DIR`` samples the server
with py-spy during the order phases and prints the functions that cost the most.

    .venv/bin/python -m loadtest.buy_bench --requests 3000 --connections 50
    .venv/bin/python -m loadtest.buy_bench --profile /tmp/buy-profile
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from livebuy.redis import keys
from loadtest.fanout_bench import cpu_seconds
from loadtest.local_server import local_server

SHOW = "spring-runway"
SKU = "STW-CRT-WHT-40"
PRODUCT = "stridewell-court-low"
TOKEN = "bench-producer-token"
# A little over the server's default LIVEBUY_SESSION_CACHE_MS.
SESSION_CACHE_S = 2.5


class Connection:
    """One keep-alive HTTP/1.1 connection; enough protocol for JSON APIs with Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        raw = await self.reader.readexactly(length)
        return status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.writer.close()


class Phase:
    """What one phase measured: calls per second, outcomes, each call's latency and the server's
    CPU time per call (``None`` when the server's process is not known)."""

    def __init__(
        self,
        rate: float,
        outcomes: Counter[str],
        latencies_ms: list[float],
        cpu_us: float | None = None,
    ) -> None:
        self.rate = rate
        self.outcomes = outcomes
        self.latencies_ms = sorted(latencies_ms)
        self.cpu_us = cpu_us
        # Redis commands per call, of those sent at least once per 20 calls (background loops
        # add a few of their own: SPOP, XREAD, EVALSHA of the leases).
        self.redis_per_call: dict[str, float] = {}
        # The CPU time per call of Redis and of this client: on a small machine the three share
        # the cores, so calls per second also say how much the other two took.
        self.redis_cpu_us: float | None = None
        self.client_cpu_us = 0.0

    def percentile(self, fraction: float) -> float:
        """The latency under which ``fraction`` of the calls answered (nearest rank)."""
        index = min(len(self.latencies_ms) - 1, int(fraction * len(self.latencies_ms)))
        return self.latencies_ms[index]

    def line(self, label: str, unit: str) -> str:
        """One printed row: rate, p50/p99 latency and outcomes."""
        cpu = "" if self.cpu_us is None else f"server CPU {self.cpu_us:6.0f} µs/call  "
        return (
            f"{label:<26}{self.rate:8.0f} {unit:<12} p50 {self.percentile(0.5):6.1f} ms  "
            f"p99 {self.percentile(0.99):6.1f} ms  mean "
            f"{statistics.fmean(self.latencies_ms):6.1f} ms  {cpu}{dict(self.outcomes)}"
            + (
                f"\n    CPU per call: Redis {self.redis_cpu_us:.0f} µs, this client "
                f"{self.client_cpu_us:.0f} µs"
                if self.redis_cpu_us is not None
                else ""
            )
            + (
                "\n    Redis commands per call: "
                + ", ".join(f"{name} {count:.2f}" for name, count in self.redis_per_call.items())
                if self.redis_per_call
                else ""
            )
        )


async def run_phase(
    host: str,
    port: int,
    connections: int,
    calls: list[tuple[str, str, dict[str, str], Any]],
    server_pid: int | None = None,
    redis: Redis | None = None,
) -> Phase:
    """Send ``calls`` over ``connections`` connections; returns what the phase measured.

    The server's CPU time per call (``server_pid``) is the figure that holds on a busy machine:
    calls per second there say as much about the other processes as about the server.
    """
    pool = [await Connection.open(host, port) for _ in range(connections)]
    todo: Iterator[tuple[str, str, dict[str, str], Any]] = iter(calls)
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []

    async def worker(connection: Connection) -> None:
        for method, path, headers, body in todo:
            sent = time.perf_counter()
            status, answer = await connection.request(method, path, headers, body)
            latencies.append((time.perf_counter() - sent) * 1000)
            code = answer["error"]["code"] if status >= 400 else "ok"
            outcomes[f"{status} {code}"] += 1

    cpu_before = cpu_seconds(server_pid) if server_pid is not None else 0.0
    commands_before = await command_counts(redis)
    redis_cpu_before = await redis_cpu_seconds(redis)
    client_cpu_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker(connection) for connection in pool))
    elapsed = time.perf_counter() - started
    # The orders' funnel counting runs behind them, off the request path: the phase's CPU
    # includes it, so that a phase is not charged with the one before it's backlog.
    await funnel_settled(redis)
    cpu_us = None
    if server_pid is not None:
        cpu_us = (cpu_seconds(server_pid) - cpu_before) / len(calls) * 1e6
    client_cpu_us = (time.process_time() - client_cpu_before) / len(calls) * 1e6
    redis_cpu = await redis_cpu_seconds(redis)
    commands = await command_counts(redis)
    commands.subtract(commands_before)
    for connection in pool:
        connection.close()
    phase = Phase(len(calls) / elapsed, outcomes, latencies, cpu_us)
    phase.client_cpu_us = client_cpu_us
    if redis_cpu is not None and redis_cpu_before is not None:
        phase.redis_cpu_us = (redis_cpu - redis_cpu_before) / len(calls) * 1e6
    phase.redis_per_call = {
        name: count / len(calls)
        for name, count in commands.most_common()
        if count >= len(calls) / 20
    }
    return phase


async def funnel_settled(redis: Redis | None, timeout_s: float = 30.0) -> None:
    """Wait until the funnel counted every order made so far (its cursor is at the end of each
    bucket's orders stream); nothing without ``redis``."""
    if redis is None:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        cursors = await redis.hgetall(keys.funnel_orders_cursor())
        behind = False
        for bucket in keys.order_buckets():
            last = await redis.xrevrange(keys.orders_stream(bucket), count=1)
            if last and cursors.get(str(bucket)) != last[0][0]:
                behind = True
                break
        if not behind:
            return
        await asyncio.sleep(0.05)
    print(f"the funnel did not catch up within {timeout_s:.0f} s")


async def redis_cpu_seconds(redis: Redis | None) -> float | None:
    """CPU time Redis has used so far (``INFO cpu``, all its threads); None without ``redis``."""
    if redis is None:
        return None
    cpu = await redis.info("cpu")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


async def command_counts(redis: Redis | None) -> Counter[str]:
    """Calls per Redis command so far (``INFO commandstats``); empty without ``redis``."""
    if redis is None:
        return Counter()
    stats = await redis.info("commandstats")
    return Counter(
        {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}
    )


def deal_buys(
    deal_id: str, tokens: list[str], key: str | None = None
) -> list[tuple[str, str, dict[str, str], Any]]:
    """One buy-now call per viewer token on ``deal_id``, each with the same idempotency key name
    (keys are per customer, so every viewer's first try is a real order)."""
    return [
        (
            "POST",
            "/api/orders",
            {"Authorization": f"Bearer {token}", "Idempotency-Key": key or deal_id},
            {"sku": SKU, "show_id": SHOW, "deal_id": deal_id},
        )
        for token in tokens
    ]


class Profiler:
    """py-spy sampling a server process while the order phases run (``--profile``)."""

    def __init__(self, pid: int | None, out: Path | None) -> None:
        self._pid = pid
        self._out = out
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start sampling (nothing without ``--profile``)."""
        if self._pid is None or self._out is None:
            return
        self._out.mkdir(parents=True, exist_ok=True)
        py_spy = Path(sys.executable).with_name("py-spy")
        self._process = subprocess.Popen(
            [str(py_spy), "record", "--pid", str(self._pid), "--rate", "250", "--format", "raw"]
            + ["--output", str(self._out / "orders.txt"), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)

    def stop(self) -> None:
        """Stop sampling and print the top functions by own and by total samples."""
        if self._process is None or self._out is None:
            return
        self._process.send_signal(signal.SIGINT)
        self._process.wait(timeout=30)
        print_profile(self._out / "orders.txt")


# Where the total table looks: the app's code and the libraries a request's own work goes through.
_OURS = ("livebuy/", "redis/asyncio/client", "pydantic/main", "hmac", "orjson", "fastapi/routing")


def _function(frame: str) -> str:
    """``name (file:line)`` without the line: py-spy samples lines, the table sums functions."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rpartition(':')[0]})" if where else name


def print_profile(path: Path, top: int = 15) -> None:
    """The functions with the most samples in a py-spy raw (collapsed stacks) file."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        # The event loop waiting in uvloop's C code shows as its Python caller: idle, not work.
        if frames[-1].startswith("Runner.run ("):
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    print(f"profile: {samples} busy samples ({path})")
    print("  own%  function")
    for frame, count in own.most_common(top):
        print(f"  {100 * count / samples:5.1f} {frame}")
    print("  total%  function (livebuy's own, Redis and pydantic calls)")
    ours = Counter({frame: n for frame, n in total.items() if any(s in frame for s in _OURS)})
    for frame, count in ours.most_common(top + 10):
        print(f"  {100 * count / samples:5.1f} {frame}")


async def bench(
    host: str,
    port: int,
    requests: int,
    storm: int,
    connections: int,
    profiler: Profiler | None = None,
    server_pid: int | None = None,
    redis_url: str = "",
) -> None:
    """Run the four phases against a ready server and print the numbers."""
    redis = Redis.from_url(redis_url, decode_responses=True) if redis_url else None
    setup = await Connection.open(host, port)
    producer = {"Authorization": f"Bearer {TOKEN}"}
    buyers = max(requests, storm)
    tokens = [(await setup.request("POST", "/api/sessions"))[1]["token"] for _ in range(buyers)]
    # Viewers who joined the show (their session was used) and tap "buy" once, when the server
    # no longer has their session in memory: the last phase's first taps.
    first_tappers = [
        (await setup.request("POST", "/api/sessions"))[1]["token"] for _ in range(requests)
    ]
    for token in first_tappers:
        status, _ = await setup.request("GET", "/api/orders", {"Authorization": f"Bearer {token}"})
        assert status == 200, status
    warmed_at = time.monotonic()
    status, level = await setup.request(
        "POST", f"/api/inventory/{SKU}/restock", producer, {"units": requests + 200}
    )
    assert status == 200, level
    setup.close()

    async def deal(deal_id: str, units: int) -> None:
        cue = {
            "kind": "deal_start",
            "deal_id": deal_id,
            "product_id": PRODUCT,
            "deal_price": {"amount": 9900, "currency": "EUR"},
            "units": units,
            "per_customer_limit": 1,
        }
        # A fresh connection: the server closes idle keep-alive ones between phases.
        connection = await Connection.open(host, port)
        answer = await connection.request(
            "POST", f"/api/shows/{SHOW}/cues", producer, {"id": deal_id, "cue": cue}
        )
        connection.close()
        assert answer[0] == 201, answer

    healthz: list[tuple[str, str, dict[str, str], Any]] = [("GET", "/healthz", {}, None)] * requests
    phase = await run_phase(host, port, connections, healthz, server_pid, redis)
    print(phase.line("GET /healthz", "requests/s"))
    healthz_rate = phase.rate

    profiler = profiler or Profiler(None, None)
    await deal("bench-open", requests)
    profiler.start()
    phase = await run_phase(
        host, port, connections, deal_buys("bench-open", tokens[:requests]), server_pid, redis
    )
    print(phase.line("buy now (all succeed)", "orders/s") + f"  {phase.rate / healthz_rate:.2f}x")

    await deal("bench-storm", 100)
    phase = await run_phase(
        host, port, connections, deal_buys("bench-storm", tokens[:storm]), server_pid, redis
    )
    print(phase.line("flash storm (100 units)", "attempts/s"))

    # The deal is sold out now: every buy is refused (a fresh key, so none replays an order).
    again = deal_buys("bench-storm", tokens[:requests], key="bench-storm-again")
    phase = await run_phase(host, port, connections, again, server_pid, redis)
    print(
        phase.line("sold out (all refused)", "refusals/s") + f"  {phase.rate / healthz_rate:.2f}x"
    )
    # The server keeps a verified session LIVEBUY_SESSION_CACHE_MS (2 s by default).
    await asyncio.sleep(max(0.0, SESSION_CACHE_S - (time.monotonic() - warmed_at)))
    first = deal_buys("bench-storm", first_tappers, key="bench-storm-first")
    phase = await run_phase(host, port, connections, first, server_pid, redis)
    print(phase.line("sold out, first tap", "refusals/s") + f"  {phase.rate / healthz_rate:.2f}x")
    profiler.stop()
    if redis is not None:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="target a running server on 127.0.0.1:<port>")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--storm", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--appendfsync", default="everysec", choices=["always", "everysec", "no"])
    parser.add_argument(
        "--profile", type=Path, help="sample the server with py-spy; raw stacks go to this folder"
    )
    args = parser.parse_args()
    host = "127.0.0.1"
    print(
        f"requests={args.requests} storm={args.storm} connections={args.connections} "
        f"appendfsync={args.appendfsync} cpus={os.cpu_count()}"
    )
    if args.port is not None:
        asyncio.run(bench(host, args.port, args.requests, args.storm, args.connections))
        return
    with local_server(TOKEN, appendfsync=args.appendfsync) as server:
        profiler = Profiler(server.pid, args.profile)
        asyncio.run(
            bench(
                host,
                server.port,
                args.requests,
                args.storm,
                args.connections,
                profiler,
                server.pid,
                server.redis_url,
            )
        )


if __name__ == "__main__":
    main()
