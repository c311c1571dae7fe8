"""How long a refund owed by a crashed cancel waits before another process makes it.

Starts an embedded ``redis-server`` (``appendfsync always``) and, per run, two ``livebuy serve``
processes with the default payments-outbox settings: a survivor, and a crasher armed with the
test-only fault point ``cancel:after_release`` (it exits, as kill -9 would, right after the cancel
step made the refund due). A paid order is cancelled through the crasher; the time from its death
to ``refund_status: refunded`` is measured, both when the survivor held the payments-worker lease
and when the crasher did (the survivor then waits for the lease to lapse).

    .venv/bin/python -m loadtest.refund_bench --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from livebuy.processes import terminate
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis, free_port

SKU = "STW-CRT-WHT-40"
CARD = {"card_number": "4242424242424242", "expiry_month": 12, "expiry_year": 2030, "cvc": "123"}


async def _start(redis_url: str, log: Path, fault_points: str = "[]") -> tuple[Any, str]:
    port = free_port()
    env = {
        **os.environ,
        "LIVEBUY_REDIS_URL": redis_url,
        "LIVEBUY_PORT": str(port),
        "LIVEBUY_PLAY_SHOWS": "false",
        "LIVEBUY_PUSH_STOCK": "false",
        "LIVEBUY_LOG_JSON": "false",
        "LIVEBUY_FAULT_POINTS": fault_points,
    }
    with log.open("ab") as out:
        process = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-m", "livebuy", "serve", "--workers", "1"],
            env=env,
            stdout=out,
            stderr=out,
        )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("server not ready")


async def _lease_taken(redis: Any) -> None:
    while True:
        if await redis.exists(keys.payments_worker_lease()):
            return
        await asyncio.sleep(0.02)


async def one_run(redis_url: str, log: Path, crasher_leads: bool) -> float:
    """Seconds from the crash to the refund confirmed by the survivor."""
    redis = connect(redis_url)
    await redis.delete(keys.payments_worker_lease())
    processes = []
    try:
        first = await _start(redis_url, log, '["cancel:after_release"]' if crasher_leads else "[]")
        processes.append(first[0])
        await _lease_taken(redis)
        second = await _start(redis_url, log, "[]" if crasher_leads else '["cancel:after_release"]')
        processes.append(second[0])
        crasher, survivor = (first, second) if crasher_leads else (second, first)
        async with httpx.AsyncClient(base_url=survivor[1], timeout=30) as client:
            token = (await client.post("/api/sessions")).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            created = await client.post(
                "/api/orders",
                json={"sku": SKU},
                headers={**auth, "Idempotency-Key": os.urandom(8).hex()},
            )
            order_id = created.json()["id"]
            paid = await client.post(f"/api/orders/{order_id}/pay", json=CARD, headers=auth)
            assert paid.status_code == 200, paid.text
        async with httpx.AsyncClient(base_url=crasher[1], timeout=30) as client:
            try:
                await client.post(f"/api/orders/{order_id}/cancel", headers=auth)
            except httpx.TransportError:
                pass
        crashed = time.monotonic()
        while True:
            if await redis.hget(keys.order(order_id), "refund_status") == "refunded":
                return time.monotonic() - crashed
            await asyncio.sleep(0.01)
    finally:
        for process in processes:
            await asyncio.to_thread(terminate, process, 10)
        await redis.aclose()


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="livebuy-refund-") as data:
        with EmbeddedRedis(Path(data) / "redis", appendfsync="always") as server:
            log = Path(data) / "servers.log"
            for crasher_leads in (False, True):
                waits = [await one_run(server.url, log, crasher_leads) for _ in range(runs)]
                holder = "crashed process" if crasher_leads else "survivor"
                print(
                    f"lease held by the {holder}: refund made {statistics.median(waits):.2f} s "
                    f"after the crash (median of {runs}; min {min(waits):.2f}, "
                    f"max {max(waits):.2f})"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args().runs))
