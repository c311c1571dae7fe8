"""Red-packet rains across two processes: end to end through the servers, and grab contention."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.redis import keys
from livebuy.redis.embedded import EmbeddedRedis
from loadtest.red_packets_bench import grab_in_two_processes
from tests.commerce.helpers import auth, session_tokens
from tests.games.red_packets.helpers import SHOW, open_in_state, rain_cue
from tests.servers import LiveServer, receive_until
from tests.wallet.helpers import ledger

MakeServer = Callable[..., Awaitable[LiveServer]]
# The figures (20,000 grabs, 5,000 viewers, 1,000 packets) straight on the grab service
# (the atomic step is in Redis, not HTTP), divided by SCALE: on the shared 2-core machine the full
# run took ~70 s, over the suite's budget. LIVEBUY_RED_PACKETS_SCALE=1 runs the full figures.
SCALE = int(os.environ.get("LIVEBUY_RED_PACKETS_SCALE", "4"))


async def test_rain_across_two_processes(make_server: MakeServer, redis: Redis) -> None:
    """Grabs on B are paid into wallets; A's viewer gets the cue, the counts and one final result."""
    a = await make_server(process=True, red_packets_interval_ms=100)
    b = await make_server(process=True, red_packets_interval_ms=100)
    tokens = await session_tokens(b, 3)
    async with connect(a.ws_url(SHOW)) as ws, b.http() as client:
        await receive_until(ws, "snapshot")
        bad = await client.post(
            f"/api/shows/{SHOW}/cues",
            json={"cue": rain_cue("bad", count=10, budget=5000)},
            headers={
                "Authorization": "Bearer " + b.settings.security.producer_token.get_secret_value()
            },
        )
        assert bad.status_code == 422, bad.text
        await b.post_cue(SHOW, rain_cue("gala", count=2, budget=300, duration_ms=1500))
        cue = await receive_until(ws, "cue")
        assert cue["data"]["kind"] == "red_packets" and cue["data"]["rain_id"] == "gala"
        answers = [
            await client.post(f"/api/shows/{SHOW}/red-packets/gala/grab", headers=auth(t))
            for t in [*tokens, tokens[0]]
        ]
        statuses = [answer.status_code for answer in answers]
        assert statuses == [200, 200, 409, 409], [answer.text for answer in answers]
        codes = [answer.json()["error"]["code"] for answer in answers[2:]]
        assert codes == ["rain_empty", "already_grabbed"]
        wallet = await client.get("/api/wallet", headers=auth(tokens[0]))
        assert wallet.json()["balances"][0]["amount"] == answers[0].json()["amount"]
        while True:
            frame = await receive_until(ws, "red_packets_update")
            if frame["data"]["final"]:
                break
        assert frame["data"]["granted"] == 2 and frame["data"]["granted_amount"] == 300
        unknown = await client.post(
            f"/api/shows/{SHOW}/red-packets/nope/grab", headers=auth(tokens[0])
        )
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_rain"


async def test_grab_contention_across_two_processes(
    redis_server: EmbeddedRedis, redis: Redis
) -> None:
    """20,000 grabs by 5,000 viewers from two OS processes for 1,000 packets: exactly 1,000
    granted, Σ = budget, no viewer twice, every grant paid into its wallet once."""
    viewers, grabs, packets = 5000 // SCALE, 20_000 // SCALE, 1000 // SCALE
    budget = packets * 500
    rain = await open_in_state(
        redis,
        "storm",
        duration_ms=600_000,
        count=packets,
        budget=budget,
        min_amount=100,
        max_amount=900,
    )
    sessions = [f"{index:024x}" for index in range(viewers)]
    attempts = [sessions[index % viewers] for index in range(grabs)]
    started = time.perf_counter()
    results, returncodes = await grab_in_two_processes(redis_server.url, SHOW, "storm", attempts)
    elapsed = time.perf_counter() - started
    assert returncodes == [0, 0]
    assert len(results) == grabs
    granted = [(session, amount) for session, amount in results if isinstance(amount, int)]
    assert len(granted) == packets
    assert sum(amount for _, amount in granted) == budget
    assert len({session for session, _ in granted}) == packets
    codes = Counter(code for _, code in results if isinstance(code, str))
    assert set(codes) <= {"rain_empty", "already_grabbed"}
    paid = 0
    for session, amount in granted:
        entries = await ledger(redis, session)
        assert [(e["source"], e["amount"]) for e in entries] == [("red_packet", amount)]
        paid += amount
    assert paid == budget and not await redis.zcard(keys.red_packets_outbox(SHOW))
    assert rain["count"] == packets
    print(
        f"\n{grabs} grabs by {viewers} viewers for {packets} packets from 2 processes "
        f"in {elapsed:.1f} s ({grabs / elapsed:.0f} grabs/s): {dict(codes)}"
    )
