"""Cue-to-client latency with many connected viewers, against a running livebuy server.

    LIVEBUY_PRODUCER_TOKEN=secret .venv/bin/livebuy demo --port 8011 &
    .venv/bin/python scripts/cue_latency.py --url http://127.0.0.1:8011 --token secret --viewers 1000

Connects N websocket viewers, publishes cues through the producer API at a fixed rate and reports,
per cue, the time from the API call to each viewer's receipt (p50/p99/max over all deliveries).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time

import httpx
from websockets.asyncio.client import ClientConnection, connect


async def watch(ws: ClientConnection, received: dict[str, list[float]], expected: int) -> None:
    got = 0
    while got < expected:
        frame = json.loads(await ws.recv())
        if frame["type"] == "cue" and frame["data"]["kind"] == "announce":
            received.setdefault(frame["data"]["text"], []).append(time.perf_counter())
            got += 1


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="producer token")
    parser.add_argument("--show", default="spring-runway")
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--cues", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5.0, help="cues per second")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.viewers + 1024)), hard))

    ws_url = args.url.replace("http", "ws", 1) + f"/ws/shows/{args.show}"
    sockets = []
    for _ in range(args.viewers):
        ws = await connect(ws_url, max_queue=None, open_timeout=30)
        await ws.recv()  # snapshot
        sockets.append(ws)
    received: dict[str, list[float]] = {}
    watchers = [asyncio.create_task(watch(ws, received, args.cues)) for ws in sockets]
    sent: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {args.token}"}
    async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=30) as client:
        for index in range(args.cues):
            text = f"latency probe {index} {time.time_ns()}"
            sent[text] = time.perf_counter()
            response = await client.post(
                f"/api/shows/{args.show}/cues", json={"cue": {"kind": "announce", "text": text}}
            )
            response.raise_for_status()
            await asyncio.sleep(1 / args.rate)
    await asyncio.wait_for(asyncio.gather(*watchers), timeout=60)
    latencies = sorted(
        (arrival - sent[text]) * 1000 for text, arrivals in received.items() for arrival in arrivals
    )
    for ws in sockets:
        await ws.close()
    cut = statistics.quantiles(latencies, n=100)
    print(
        f"viewers={args.viewers} cues={args.cues} deliveries={len(latencies)} "
        f"p50={cut[49]:.1f}ms p99={cut[98]:.1f}ms max={latencies[-1]:.1f}ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
