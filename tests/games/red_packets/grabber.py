"""A grabbing process for the contention test: ``python -m tests.games.red_packets.grabber``.

Arguments: Redis URL, show id, rain id; stdin: the session ids to grab for, comma-separated (one
grab each, in order, ``CONCURRENCY`` at a time). Prints one JSON list of ``[session, amount or error code]``.
"""

from __future__ import annotations

import asyncio
import sys

import orjson

from livebuy.errors import RedPacketError
from livebuy.games.red_packets.service import RedPacketService
from livebuy.redis.connection import connect
from tests.wallet.helpers import wallet_service

CONCURRENCY = 64


async def main(url: str, show_id: str, rain_id: str, sessions: list[str]) -> None:
    redis = connect(url)
    red = RedPacketService(redis, wallet_service(redis))
    todo = iter(sessions)
    results: list[tuple[str, int | str]] = []

    async def worker() -> None:
        for session in todo:
            try:
                results.append((session, (await red.grab(show_id, rain_id, session)).amount))
            except RedPacketError as error:
                results.append((session, error.code))

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    await redis.aclose()
    sys.stdout.buffer.write(orjson.dumps(results))


if __name__ == "__main__":
    url, show_id, rain_id = sys.argv[1:4]
    asyncio.run(main(url, show_id, rain_id, sys.stdin.read().split(",")))
