"""Redis commands per operation, and bytes per frame: the per-unit figures of the capacity model.

Starts an embedded Redis and one ``livebuy serve`` (no show player), then runs one phase per
operation and reads ``INFO commandstats`` before and after each: commands inside a Lua script count
too, and the background loops' share (measured over an idle window first) is taken out in
proportion to each phase's length. Counts per operation hold on a loaded machine, where rates do
not; so does the Redis server's CPU time per operation (``INFO cpu``, same correction). Phases:
idle; ``--viewers`` sessions; their websocket joins; idle again with everyone watching;
``--cues`` announce cues; a chat burst (every viewer posts once, spread over ``--chat-seconds``:
per message and per ``chat`` frame the batcher published); a reaction from every viewer;
``--orders`` buy-now orders of one deal.
A watcher records every frame's type and size, for bytes per viewer per second.

    .venv/bin/python -m loadtest.redis_costs --viewers 200 --cues 50 --orders 200
    .venv/bin/python -m loadtest.redis_costs --idle-workers 2   # the idle load of 2 processes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from loadtest.local_server import local_server

SHOW = "spring-runway"
SKU = "STW-CRT-WHT-40"
PRODUCT = "stridewell-court-low"
TOKEN = "costs-producer-token"
IDLE_S = 5.0
SETTLE_S = 1.0
IN_FLIGHT = 20


class Frames:
    """What one watching viewer received: count and bytes per frame type."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.size: defaultdict[str, int] = defaultdict(int)
        self.last_announce = ""

    def receive(self, raw: str | bytes) -> None:
        frame: dict[str, Any] = json.loads(raw)
        kind = str(frame["type"])
        if kind == "cue":
            kind = f"cue:{frame['data'].get('kind')}"
            if frame["data"].get("kind") == "announce":
                self.last_announce = str(frame["data"].get("text"))
        self.count[kind] += 1
        self.size[kind] += len(raw)


# The Redis server's CPU time, counted with the commands as a pseudo-command (µs).
CPU = "(redis CPU µs)"


async def command_counts(redis: Redis) -> Counter[str]:
    """Calls per Redis command so far, and the server's CPU time in µs under ``CPU``."""
    stats = await redis.info("commandstats")
    cpu = await redis.info("cpu")
    counts = Counter(
        {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}
    )
    counts[CPU] = int((float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])) * 1e6)
    return counts


class Meter:
    """Commands per operation of each phase, net of the idle rate."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.idle_per_s: dict[str, float] = {}
        self.rows: list[tuple[str, int, float, dict[str, float]]] = []

    async def idle(self, label: str, seconds: float) -> None:
        """The background loops' commands per second, taken out of the phases that follow."""
        before = await command_counts(self.redis)
        await asyncio.sleep(seconds)
        after = await command_counts(self.redis)
        self.idle_per_s = {name: (after[name] - before[name]) / seconds for name in after}
        per_s = {name: value for name, value in self.idle_per_s.items() if value >= 0.05}
        self.rows.append((f"{label} (per second)", 0, seconds, per_s))

    async def phase(self, label: str, count: int, action: Callable[[], Awaitable[None]]) -> None:
        before = await command_counts(self.redis)
        started = time.monotonic()
        await action()
        await asyncio.sleep(SETTLE_S)
        elapsed = time.monotonic() - started
        after = await command_counts(self.redis)
        per_op = {
            name: (after[name] - before[name] - self.idle_per_s.get(name, 0.0) * elapsed) / count
            for name in after
        }
        per_op = {name: value for name, value in per_op.items() if value >= 0.05}
        self.rows.append((label, count, elapsed, per_op))

    def table(self) -> str:
        lines = [
            "| operation | count | s | Redis commands per operation | Redis CPU µs | top commands |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for label, count, elapsed, per_op in self.rows:
            cpu = per_op.pop(CPU, 0.0)
            top = sorted(per_op.items(), key=lambda item: -item[1])[:6]
            lines.append(
                f"| {label} | {count or ''} | {elapsed:.1f} | {sum(per_op.values()):.2f} |"
                f" {cpu:.0f} | " + ", ".join(f"`{name}` {value:.2f}" for name, value in top) + " |"
            )
        return "\n".join(lines)


async def _read(ws: ClientConnection, frames: Frames | None) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for raw in ws:
            if frames is not None:
                frames.receive(raw)


async def _until(check: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the phase's last frame did not arrive")
        await asyncio.sleep(0.05)


async def measure(
    port: int, redis_url: str, viewers: int, cues: int, orders: int, chat_s: float
) -> tuple[str, Frames, float]:
    """Run the phases; the markdown table, the watcher's frames and its watching seconds."""
    base = f"http://127.0.0.1:{port}"
    redis = Redis.from_url(redis_url, decode_responses=True)
    meter = Meter(redis)
    gate = asyncio.Semaphore(IN_FLIGHT)
    producer = {"Authorization": f"Bearer {TOKEN}"}
    frames = Frames()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await meter.idle("idle, nobody watching", IDLE_S)
        tokens: list[str] = []

        async def session() -> None:
            async with gate:
                response = await http.post("/api/sessions")
            tokens.append(str(response.json()["token"]))

        async def sessions() -> None:
            await asyncio.gather(*(session() for _ in range(viewers)))

        await meter.phase("session (`POST /api/sessions`)", viewers, sessions)
        sockets: list[ClientConnection] = []

        async def join(token: str) -> None:
            async with gate:
                ws = await connect(f"ws://127.0.0.1:{port}/ws/shows/{SHOW}?token={token}")
                await ws.recv()  # the snapshot
            sockets.append(ws)

        async def joins() -> None:
            await asyncio.gather(*(join(token) for token in tokens))

        await meter.phase("join (websocket, snapshot)", viewers, joins)
        watching_since = time.monotonic()
        readers = [
            asyncio.create_task(_read(ws, frames if index == 0 else None))
            for index, ws in enumerate(sockets)
        ]
        await meter.idle(f"idle, {viewers} watching", IDLE_S)

        async def post_cues() -> None:
            for number in range(cues):
                text = f"capacity cue {number}"
                response = await http.post(
                    f"/api/shows/{SHOW}/cues",
                    headers=producer,
                    json={"cue": {"kind": "announce", "text": text}},
                )
                assert response.status_code == 201, response.text
            await _until(lambda: frames.last_announce == text, 30)

        await meter.phase(f"cue (announce, {viewers} watching)", cues, post_cues)
        chat_before = frames.count["chat"]

        async def chat() -> None:
            pause = chat_s / len(sockets)
            for number, ws in enumerate(sockets):
                text = f"capacity chat {number}"
                await ws.send(json.dumps({"type": "chat", "data": {"text": text}}))
                await asyncio.sleep(pause)

        await meter.phase(f"chat message ({viewers} posters)", viewers, chat)
        batches = frames.count["chat"] - chat_before
        label, count, elapsed, per_message = meter.rows[-1]
        if batches:
            per_batch = {name: value * count / batches for name, value in per_message.items()}
            meter.rows.append(
                (f"  same, per `chat` frame ({batches})", batches, elapsed, per_batch)
            )

        async def react() -> None:
            pause = chat_s / len(sockets)
            for ws in sockets:
                await ws.send(json.dumps({"type": "react", "data": {"kind": "heart"}}))
                await asyncio.sleep(pause)

        await meter.phase(f"reaction ({viewers} viewers)", viewers, react)

        restocked = await http.post(
            f"/api/inventory/{SKU}/restock", headers=producer, json={"units": orders + 10}
        )
        assert restocked.status_code == 200, restocked.text
        deal = {
            "kind": "deal_start",
            "deal_id": "capacity-deal",
            "product_id": PRODUCT,
            "deal_price": {"amount": 9900, "currency": "EUR"},
            "units": orders,
            "per_customer_limit": 1,
        }
        started = await http.post(
            f"/api/shows/{SHOW}/cues", headers=producer, json={"id": "capacity-deal", "cue": deal}
        )
        assert started.status_code == 201, started.text
        await _until(lambda: frames.count["cue:deal_start"] > 0, 30)

        # Fresh connections: the server closes idle keep-alive ones between phases.
        buyers = httpx.AsyncClient(base_url=base, timeout=30)

        async def order(token: str) -> None:
            async with gate:
                response = await buyers.post(
                    "/api/orders",
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "capacity"},
                    json={"sku": SKU, "show_id": SHOW, "deal_id": "capacity-deal"},
                )
            assert response.status_code == 201, response.text

        async def buy() -> None:
            await asyncio.gather(*(order(token) for token in tokens[:orders]))

        await meter.phase("order (buy now, succeeds)", orders, buy)
        await buyers.aclose()
        watched_s = time.monotonic() - watching_since
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await redis.aclose()
    return meter.table(), frames, watched_s


def frames_table(frames: Frames, watched_s: float) -> str:
    """Frame types one viewer received: count, mean size, bytes."""
    lines = ["| frame | count | mean bytes | bytes |", "|---|---:|---:|---:|"]
    for kind, count in frames.count.most_common():
        lines.append(
            f"| `{kind}` | {count} | {frames.size[kind] / count:.0f} | {frames.size[kind]} |"
        )
    total = sum(frames.size.values())
    lines.append(
        f"| all, over {watched_s:.0f} s watching | {sum(frames.count.values())} | | {total} |"
    )
    return "\n".join(lines)


async def idle_only(redis_url: str, settle_s: float) -> str:
    """The idle rows alone, after ``settle_s`` (the workers' first passes and elections)."""
    await asyncio.sleep(settle_s)
    redis = Redis.from_url(redis_url, decode_responses=True)
    meter = Meter(redis)
    await meter.idle("idle, nobody watching", IDLE_S * 2)
    await redis.aclose()
    return meter.table()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run every phase on a fresh server, print two markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=200, help="sessions, joins and posters")
    parser.add_argument("--cues", type=int, default=50, help="announce cues posted one by one")
    parser.add_argument("--orders", type=int, default=200, help="buy-now orders (≤ viewers)")
    parser.add_argument("--chat-seconds", type=float, default=5.0, help="the chat burst's length")
    parser.add_argument(
        "--idle-workers",
        type=int,
        help="only the idle Redis load of `serve --workers N` (what each process costs Redis)",
    )
    args = parser.parse_args(argv)
    orders = min(args.orders, args.viewers)
    started_load = os.getloadavg()[0]
    if args.idle_workers:
        with local_server(TOKEN, workers=args.idle_workers) as server:
            table = asyncio.run(idle_only(server.redis_url, IDLE_S * 2))
        print(f"serve --workers {args.idle_workers}, load average {started_load:.1f}")
        print(table)
        return
    with local_server(TOKEN) as server:
        table, frames, watched_s = asyncio.run(
            measure(
                server.port, server.redis_url, args.viewers, args.cues, orders, args.chat_seconds
            )
        )
    print(f"load average {started_load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(table)
    print()
    print(frames_table(frames, watched_s))


if __name__ == "__main__":
    main()
