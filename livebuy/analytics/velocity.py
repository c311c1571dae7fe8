"""Sales velocity: "N bought in the last minute" per product, pushed to a show's viewers.

Paying an order from a show adds one member per product to the show's recent sales
(``order_pay.lua``, the same step that counts the sale). One process per show, elected by a
lease, reads the trailing window every ``interval`` and appends a ``sales_velocity`` event
only when the figures changed: at most one frame per interval, never one per order. The figures
pushed last are kept in the show's state, so late joiners get them in the snapshot and a new
lease holder does not repeat them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import orjson
from redis.asyncio import Redis

from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.events.models import SalesVelocityEvent
from livebuy.events.state import SALES_VELOCITY, set_sales_velocity
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.redis.lease import Lease
from livebuy.redis.scripts import LuaScript


@dataclass(frozen=True)
class VelocityKeys:
    """KEYS of ``analytics_velocity.lua``."""

    recent: str


@dataclass(frozen=True)
class VelocityArgs:
    """ARGV of ``analytics_velocity.lua``."""

    now: int
    window_ms: int


ANALYTICS_VELOCITY = LuaScript(
    "livebuy.analytics", "analytics_velocity", VelocityKeys, VelocityArgs
)


class SalesVelocity:
    """Pushes one show's paid units per product in the trailing window (register ``loop``)."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        show_id: str,
        *,
        interval_ms: int,
        window_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self.show_id = show_id
        self._redis = redis
        self._stream = stream
        self._window_ms = window_ms
        self._clock = clock
        self._read = ANALYTICS_VELOCITY.bind(redis)
        self.loop = ElectedLoop(
            f"sales-velocity:{show_id}",
            Lease(redis, keys.sales_velocity_lease(show_id), lease_ms),
            self.step,
            interval_ms / 1000,
            clock=clock,
        )

    async def counts(self) -> dict[str, int]:
        """Paid units per product in the window ending now (products with none left out)."""
        flat = await self._read(
            VelocityKeys(recent=keys.analytics_sales_recent(self.show_id)),
            VelocityArgs(now=self._clock(), window_ms=self._window_ms),
        )
        pairs = zip(flat[::2], flat[1::2], strict=True)
        return {str(product): int(units) for product, units in sorted(pairs) if int(units) > 0}

    async def step(self) -> bool:
        """Push the figures if they differ from the last pushed; returns whether it pushed."""
        counts = await self.counts()
        raw = await self._redis.hget(keys.show_state(self.show_id), SALES_VELOCITY)
        last = cast(dict[str, int], orjson.loads(raw)) if raw else {}
        if counts == last:
            return False
        await self._stream.append(
            self.show_id,
            self._clock(),
            SalesVelocityEvent(products=counts),
            [set_sales_velocity(counts)],
        )
        return True
