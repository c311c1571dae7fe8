"""Buy-now throughput of a flash deal through HTTP, next to ``GET /healthz`` of the same app.

Starts an embedded ``redis-server`` and ``python -m livebuy serve`` (or targets ``--url``), then
in one run measures: requests/s of ``GET /healthz``, orders/s of one-tap deal buys that all
succeed, and attempts/s of a flash storm (``--storm`` attempts for 100 units, the rest refused).
The client is a minimal keep-alive HTTP/1.1 client on asyncio streams so that it, not the
server, is never the bottleneck; ``--connections`` requests are in flight at once.

    .venv/bin/python -m loadtest.buy_bench --requests 3000 --connections 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from loadtest.local_server import local_server

SHOW = "spring-runway"
SKU = "STW-CRT-WHT-40"
PRODUCT = "stridewell-court-low"
TOKEN = "bench-producer-token"


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


async def run_phase(
    host: str, port: int, connections: int, calls: list[tuple[str, str, dict[str, str], Any]]
) -> tuple[float, Counter[str]]:
    """Send ``calls`` over ``connections`` connections; returns (calls per second, outcomes)."""
    pool = [await Connection.open(host, port) for _ in range(connections)]
    todo: Iterator[tuple[str, str, dict[str, str], Any]] = iter(calls)
    outcomes: Counter[str] = Counter()

    async def worker(connection: Connection) -> None:
        for method, path, headers, body in todo:
            status, answer = await connection.request(method, path, headers, body)
            code = answer["error"]["code"] if status >= 400 else "ok"
            outcomes[f"{status} {code}"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(connection) for connection in pool))
    elapsed = time.perf_counter() - started
    for connection in pool:
        connection.close()
    return len(calls) / elapsed, outcomes


def deal_buys(deal_id: str, tokens: list[str]) -> list[tuple[str, str, dict[str, str], Any]]:
    """One buy-now call per viewer token on ``deal_id``, each with the same idempotency key name
    (keys are per customer, so every viewer's first try is a real order)."""
    return [
        (
            "POST",
            "/api/orders",
            {"Authorization": f"Bearer {token}", "Idempotency-Key": deal_id},
            {"sku": SKU, "show_id": SHOW, "deal_id": deal_id},
        )
        for token in tokens
    ]


async def bench(host: str, port: int, requests: int, storm: int, connections: int) -> None:
    """Run the three phases against a ready server and print the numbers."""
    setup = await Connection.open(host, port)
    producer = {"Authorization": f"Bearer {TOKEN}"}
    buyers = max(requests, storm)
    tokens = [(await setup.request("POST", "/api/sessions"))[1]["token"] for _ in range(buyers)]
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
    rate, outcomes = await run_phase(host, port, connections, healthz)
    print(f"GET /healthz           {rate:8.0f} requests/s   {dict(outcomes)}")

    await deal("bench-open", requests)
    rate, outcomes = await run_phase(
        host, port, connections, deal_buys("bench-open", tokens[:requests])
    )
    print(f"buy now (all succeed)  {rate:8.0f} orders/s     {dict(outcomes)}")

    await deal("bench-storm", 100)
    rate, outcomes = await run_phase(
        host, port, connections, deal_buys("bench-storm", tokens[:storm])
    )
    print(f"flash storm (100 units){rate:8.0f} attempts/s   {dict(outcomes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="target a running server on 127.0.0.1:<port>")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--storm", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--appendfsync", default="everysec", choices=["always", "everysec", "no"])
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
        asyncio.run(bench(host, server.port, args.requests, args.storm, args.connections))


if __name__ == "__main__":
    main()
