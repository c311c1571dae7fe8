"""Full-scale red-packet contention: 20,000 grabs by 5,000 viewers for 1,000 packets from two
OS processes on one Redis; checks exactly ``packets`` granted, Σ = budget, no viewer twice and
every grant paid into its wallet once, and prints the time.

Starts an embedded ``redis-server``, opens one rain in a show's state as its cue would, then two
grabbing processes (this module with ``--grabber``) each take every other attempt and grab
through ``RedPacketService.grab`` (the Lua step + the wallet credit, as the HTTP route does
without the HTTP), ``--concurrency`` at a time. The CI test
(``tests/games/red_packets/test_rain_end_to_end.py``) runs the same at a tenth of the size.

    .venv/bin/python -m loadtest.red_packets_bench --grabs 20000 --viewers 5000 --packets 1000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.errors import RedPacketError
from livebuy.events.state import red_packets_location
from livebuy.games.red_packets.service import RedPacketService
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.wallet.service import WalletPolicy, WalletService

SHOW = "gala-bench"
RAIN = "storm"
DAY_MS = 24 * 3600 * 1000


def _wallet(redis: Redis) -> WalletService:
    return WalletService(redis, WalletPolicy(credit_ttl_ms=30 * DAY_MS, return_grace_ms=DAY_MS))


async def grabber(
    url: str, show_id: str, rain_id: str, concurrency: int, sessions: list[str]
) -> None:
    """Grab once per listed session; print ``[[session, amount or refusal code], ...]``.

    Also the grabbing process of the CI contention test.
    """
    redis = connect(url)
    red = RedPacketService(redis, _wallet(redis))
    todo = iter(sessions)
    results: list[tuple[str, int | str]] = []

    async def worker() -> None:
        for session in todo:
            try:
                results.append((session, (await red.grab(show_id, rain_id, session)).amount))
            except RedPacketError as error:
                results.append((session, error.code))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await redis.aclose()
    sys.stdout.buffer.write(orjson.dumps(results))


async def grab_in_two_processes(
    url: str, show_id: str, rain_id: str, attempts: list[str], concurrency: int = 64
) -> tuple[list[tuple[str, int | str]], list[int | None]]:
    """Split ``attempts`` between two grabbing processes (this module with ``--grabber``).

    Returns every ``(session, amount or refusal code)`` they printed and their exit codes.
    """
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "loadtest.red_packets_bench",
            "--grabber",
            url,
            "--show",
            show_id,
            "--rain",
            rain_id,
            "--concurrency",
            str(concurrency),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in (0, 1)
    ]
    outputs = await asyncio.gather(
        *(
            process.communicate(",".join(attempts[half::2]).encode())
            for half, process in enumerate(processes)
        )
    )
    results = [
        (session, outcome) for stdout, _ in outputs for session, outcome in orjson.loads(stdout)
    ]
    return results, [process.returncode for process in processes]


async def run(grabs: int, viewers: int, packets: int, concurrency: int) -> int:
    """One run; returns the exit status (0: every invariant held)."""
    budget = packets * 500
    with tempfile.TemporaryDirectory(prefix="livebuy-rain-") as data:
        with EmbeddedRedis(Path(data) / "redis") as server:
            redis = connect(server.url)
            now = now_ms()
            rain = {
                "rain_id": RAIN,
                "budget": budget,
                "currency": "EUR",
                "count": packets,
                "min_amount": 100,
                "max_amount": 900,
                "duration_ms": 600_000,
                "started_at": now,
                "ends_at": now + 600_000,
            }
            key, field = red_packets_location(SHOW, RAIN)
            await redis.hset(key, field, orjson.dumps(rain))
            await RedPacketService(redis, _wallet(redis)).open(SHOW, rain)
            sessions = [f"{index:024x}" for index in range(viewers)]
            attempts = [sessions[index % viewers] for index in range(grabs)]
            started = time.perf_counter()
            results, _ = await grab_in_two_processes(server.url, SHOW, RAIN, attempts, concurrency)
            elapsed = time.perf_counter() - started
            granted = [(s, amount) for s, amount in results if isinstance(amount, int)]
            codes = Counter(code for _, code in results if isinstance(code, str))
            paid = 0
            ledgers_ok = True
            for session, amount in granted:
                raw = await redis.lrange(keys.wallet_ledger(session), 0, -1)
                entries = [orjson.loads(entry) for entry in raw]
                ledgers_ok &= [(e["source"], e["amount"]) for e in entries] == [
                    ("red_packet", amount)
                ]
                paid += amount
            outbox = await redis.zcard(keys.red_packets_outbox(SHOW))
            await redis.aclose()
    checks = {
        "every attempt answered": len(results) == grabs,
        f"exactly {packets} granted": len(granted) == packets,
        "sum of grants = budget": sum(amount for _, amount in granted) == budget,
        "no viewer twice": len({session for session, _ in granted}) == len(granted),
        "only rain_empty / already_grabbed refused": set(codes)
        <= {"rain_empty", "already_grabbed"},
        "each grant paid into its wallet once": ledgers_ok and paid == budget and outbox == 0,
    }
    print(
        f"{grabs} grabs by {viewers} viewers for {packets} packets (budget {budget}) from 2 "
        f"processes x {concurrency} concurrent: {len(granted)} granted, sum {paid}, "
        f"refusals {dict(codes)}, in {elapsed:.2f} s ({grabs / elapsed:.0f} grabs/s)"
    )
    for name, held in checks.items():
        print(f"  {'ok  ' if held else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


def main() -> None:
    """Parse the arguments and run the bench (or, with ``--grabber``, one grabbing process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grabber", metavar="REDIS_URL", help=argparse.SUPPRESS)
    parser.add_argument("--show", default=SHOW, help=argparse.SUPPRESS)
    parser.add_argument("--rain", default=RAIN, help=argparse.SUPPRESS)
    parser.add_argument("--grabs", type=int, default=20_000)
    parser.add_argument("--viewers", type=int, default=5_000)
    parser.add_argument("--packets", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=64, help="grabs in flight per process")
    options = parser.parse_args()
    if options.grabber:
        sessions = sys.stdin.read().split(",")
        asyncio.run(
            grabber(options.grabber, options.show, options.rain, options.concurrency, sessions)
        )
        return
    sys.exit(asyncio.run(run(options.grabs, options.viewers, options.packets, options.concurrency)))


if __name__ == "__main__":
    main()
