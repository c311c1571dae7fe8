"""Chat fan-out benchmark: many viewers on one gateway while chat is posted at a steady rate.

Starts an embedded Redis and ``livebuy serve`` on 127.0.0.1 (default settings: 100 ms batches,
20 readable messages/s, the real per-session token bucket), connects ``--viewers`` websockets of
which ``--posters`` hold a session and take turns posting ``--rate`` messages/s, and reports:

- post-to-receive latency (p50/p99): a viewer receiving a message in a ``chat`` frame, minus the
  time the poster sent it (same clock: one machine); only messages kept in a sampled frame count;
- ``chat_ack`` latency for the poster;
- frames/s the server handed to viewers (its ``livebuy_frame_deliveries_total``) and frames/s the
  viewers received.

Bounded: ``--duration`` seconds of posting after connecting, then everything is stopped.

    .venv/bin/python -m loadtest.chat_bench --viewers 1000 --rate 200 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from loadtest.local_server import local_server

SHOW = "spring-runway"


@dataclass
class Stats:
    """What the viewers observed."""

    sent_at: dict[str, float] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    frames: int = 0
    chat_frames: int = 0
    refused: int = 0
    counted: int = 0
    closed: list[str] = field(default_factory=list)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


async def _deliveries(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith("livebuy_frame_deliveries_total "):
            return float(line.split()[1])
    return 0.0


async def _read(ws: ClientConnection, stats: Stats, counts: bool) -> None:
    try:
        await _read_frames(ws, stats, counts)
    except ConnectionClosed as closed:
        stats.closed.append(f"{closed.rcvd.code if closed.rcvd else None}")


async def _read_frames(ws: ClientConnection, stats: Stats, counts: bool) -> None:
    async for raw in ws:
        now = time.time() * 1000
        stats.frames += 1
        frame: dict[str, Any] = json.loads(raw)
        kind = frame["type"]
        if kind == "chat":
            stats.chat_frames += 1
            if counts:
                stats.counted += frame["data"]["count"]
            for message in frame["data"]["messages"]:
                sent = stats.sent_at.get(message["text"])
                if sent is not None:
                    stats.latencies_ms.append(now - sent)
        elif kind == "chat_ack":
            sent = stats.sent_at.get(frame["data"]["text"])
            if sent is not None:
                stats.ack_ms.append(now - sent)
        elif kind == "error":
            stats.refused += 1


def run(viewers: int, posters: int, rate: float, duration_s: float) -> dict[str, Any]:
    """Run the benchmark against a fresh server and return the measured numbers."""
    with local_server("bench-producer-token", env={"LIVEBUY_SEND_QUEUE_FRAMES": "4096"}) as server:
        try:
            return asyncio.run(
                _measure(server.port, server.pid, viewers, posters, rate, duration_s)
            )
        finally:
            if os.environ.get("CHAT_BENCH_SHOW_LOG"):
                print(server.log.read_text(errors="replace")[-3000:], file=sys.stderr)


async def _measure(
    port: int, server_pid: int, viewers: int, posters: int, rate: float, duration_s: float
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    stats = Stats()
    gate = asyncio.Semaphore(50)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def token() -> str:
            async with gate:
                response = await http.post("/api/sessions")
            return str(response.json()["token"])

        tokens = await asyncio.gather(*(token() for _ in range(posters)))

        async def join(index: int) -> ClientConnection:
            query = f"?token={tokens[index]}" if index < posters else ""
            async with gate:
                ws = await connect(f"ws://127.0.0.1:{port}/ws/shows/{SHOW}{query}", max_queue=None)
                await ws.recv()  # snapshot
            return ws

        sockets = await asyncio.gather(*(join(index) for index in range(viewers)))
        readers = [
            asyncio.create_task(_read(ws, stats, counts=index == 0))
            for index, ws in enumerate(sockets)
        ]
        before = await _deliveries(http)
        cpu_before = (_cpu_s(server_pid), _cpu_s(os.getpid()))
        started = time.monotonic()
        interval = 1 / rate
        posted = 0
        while (elapsed := time.monotonic() - started) < duration_s:
            due = int(elapsed * rate) + 1
            while posted < due:
                text = f"bench message {posted}"
                stats.sent_at[text] = time.time() * 1000
                poster = sockets[posted % posters]
                with contextlib.suppress(ConnectionClosed):
                    await poster.send(json.dumps({"type": "chat", "data": {"text": text}}))
                posted += 1
            await asyncio.sleep(interval)
        # Let the last batches arrive, then read the server's delivery counter.
        await asyncio.sleep(1.0)
        elapsed = time.monotonic() - started
        delivered = await _deliveries(http) - before
        server_cpu = _cpu_s(server_pid) - cpu_before[0]
        client_cpu = _cpu_s(os.getpid()) - cpu_before[1]
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {
        "viewers": viewers,
        "posters": posters,
        "posted": posted,
        "post_rate_per_s": round(posted / duration_s, 1),
        "refused": stats.refused,
        "viewers_closed": len(stats.closed),
        "close_codes": sorted(set(stats.closed)),
        "counted_by_one_viewer": stats.counted,
        "latency_ms_p50": round(_percentile(stats.latencies_ms, 0.5), 1),
        "latency_ms_p99": round(_percentile(stats.latencies_ms, 0.99), 1),
        "latency_samples": len(stats.latencies_ms),
        "ack_ms_p50": round(_percentile(stats.ack_ms, 0.5), 1),
        "ack_ms_p99": round(_percentile(stats.ack_ms, 0.99), 1),
        "server_frames_per_s": round(delivered / elapsed),
        "received_frames_per_s": round(stats.frames / elapsed),
        "chat_frames_per_viewer_per_s": round(stats.chat_frames / viewers / elapsed, 1),
        "server_cpu_percent": round(100 * server_cpu / elapsed),
        "bench_client_cpu_percent": round(100 * client_cpu / elapsed),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--posters", type=int, default=500, help="viewers with a session")
    parser.add_argument("--rate", type=float, default=200.0, help="messages posted per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of posting")
    args = parser.parse_args(argv)
    if not 0 < args.posters <= args.viewers or args.duration > 300:
        parser.error("need 0 < posters <= viewers and duration <= 300 s")
    result = run(args.viewers, args.posters, args.rate, args.duration)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
