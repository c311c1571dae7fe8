"""Random rains, grabs and settles: packets never oversold, sums exact, every grant paid once."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Awaitable
from typing import Any, TypeVar, cast

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from livebuy.errors import RedPacketError
from livebuy.events.state import red_packets_location
from livebuy.games.red_packets.service import RedPacketService
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from tests.games.red_packets.helpers import SHOW, open_in_state
from tests.wallet.helpers import ledger, wallet_service

T = TypeVar("T")
VIEWERS = [f"v{index}" for index in range(6)]


class RainMachine(RuleBasedStateMachine):
    """Drives the real red-packet service and wallet on a real Redis."""

    redis_url = ""
    rains = Bundle("rains")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = connect(self.redis_url)
        self.red = RedPacketService(self.redis, wallet_service(self.redis))
        self.terms: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count()
        self.run(self.redis.flushdb())

    def run(self, step: Awaitable[T]) -> T:
        return self.loop.run_until_complete(step)

    def teardown(self) -> None:
        self.run(self.redis.aclose())
        self.loop.close()

    @rule(
        target=rains,
        count=st.integers(1, 5),
        low=st.integers(1, 50),
        spread=st.integers(0, 50),
        data=st.data(),
    )
    def open_rain(self, count: int, low: int, spread: int, data: st.DataObject) -> str:
        high = low + spread
        budget = data.draw(st.integers(count * low, count * high))
        rain_id = f"r{next(self.ids)}"
        rain = self.run(
            open_in_state(
                self.redis, rain_id, count=count, budget=budget, min_amount=low, max_amount=high
            )
        )
        self.terms[rain_id] = rain
        return rain_id

    @rule(rain_id=rains, viewers=st.lists(st.sampled_from(VIEWERS), min_size=1, max_size=8))
    def grab(self, rain_id: str, viewers: list[str]) -> None:
        async def attempt(viewer: str) -> None:
            try:
                await self.red.grab(SHOW, rain_id, viewer)
            except RedPacketError:
                pass  # closed, empty or already grabbed: legal outcomes

        async def race() -> None:
            await asyncio.gather(*(attempt(viewer) for viewer in viewers))

        self.run(race())

    @rule(rain_id=rains)
    def close(self, rain_id: str) -> None:
        rain = self.terms[rain_id]
        key = keys.red_packets_rain(SHOW, rain_id, rain["started_at"])
        # A rain nobody grabbed is not open yet: closing it is closing its definition.
        state_key, field = red_packets_location(SHOW, rain_id)

        async def close() -> None:
            await self.redis.hset(state_key, field, orjson.dumps({**rain, "ends_at": 0}))
            if await self.redis.exists(key):
                await self.redis.hset(key, "ends_at", 0)

        self.run(close())

    @invariant()
    def exact(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        granted_total = 0
        for rain_id, rain in self.terms.items():
            started = rain["started_at"]
            counters = cast(
                dict[str, str],
                await self.redis.hgetall(keys.red_packets_rain(SHOW, rain_id, started)),
            )
            if not counters:
                continue  # nobody grabbed yet: the rain was never opened
            left = [
                int(a)
                for a in await self.redis.lrange(
                    keys.red_packets_packets(SHOW, rain_id, started), 0, -1
                )
            ]
            grabs = cast(
                dict[str, str],
                await self.redis.hgetall(keys.red_packets_grabs(SHOW, rain_id, started)),
            )
            granted = int(counters["granted"])
            amounts = [int(value.partition(":")[2]) for value in grabs.values()]
            assert granted == len(grabs) <= rain["count"]
            assert granted + len(left) == rain["count"]
            assert sum(amounts) == int(counters["granted_amount"])
            assert sum(amounts) + sum(left) == rain["budget"]
            assert sorted(int(v.partition(":")[0]) for v in grabs.values()) == list(range(granted))
            granted_total += sum(amounts)
        paid: Counter[str] = Counter()
        for viewer in VIEWERS:
            for entry in await ledger(self.redis, viewer):
                paid[entry["ref"]] += entry["amount"]
        assert sum(paid.values()) == granted_total


def test_rains_stay_exact(redis_server: EmbeddedRedis) -> None:
    """Granted ≤ count, Σ granted + Σ left = budget, one packet per viewer, every grant paid once."""
    RainMachine.redis_url = redis_server.url
    run_state_machine_as_test(
        RainMachine,
        settings=settings(
            max_examples=5,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
