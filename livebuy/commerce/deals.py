"""Flash deals as the show's state hash holds them (written by ``deal_start`` / ``deal_end`` cues)."""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from catalog.models import Money
from livebuy.events.state import deals_in, running_deal, show_deals
from livebuy.redis import keys


class RunningDeal(BaseModel):
    """A deal that a show started; ``ends_at`` is ``None`` until a ``deal_end`` cue."""

    model_config = ConfigDict(frozen=True)

    show_id: str
    deal_id: str
    product_id: str
    deal_price: Money
    units: int
    per_customer_limit: int
    started_at: int
    ends_at: int | None

    def running(self, now: int) -> bool:
        """Whether the deal price applies at ``now``."""
        return self.started_at <= now and (self.ends_at is None or now < self.ends_at)

    def counters_key(self) -> str:
        """The Redis hash of this run's units taken (a looping show restarts its deals afresh)."""
        return keys.deal_counters(self.show_id, self.deal_id, self.started_at)


def _deal(show_id: str, value: dict[str, Any]) -> RunningDeal:
    return RunningDeal(show_id=show_id, **value)


class DealBook:
    """Reads deals from the shows' state hashes; the order script re-checks them atomically."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get(self, show_id: str, deal_id: str) -> RunningDeal | None:
        """The deal as last started in the show, or ``None`` if it is not (or no longer) there."""
        value = await running_deal(self._redis, show_id, deal_id)
        return None if value is None else _deal(show_id, value)

    async def units_left(
        self, show_id: str, now: int, product_id: str | None = None
    ) -> list[dict[str, Any]]:
        """``{deal_id, units_left}`` of the deals running in a show (of one product, if given)."""
        return await self._units_left_of(
            show_id, await show_deals(self._redis, show_id), now, product_id
        )

    async def units_left_in(
        self, show_id: str, state: dict[str, str], now: int, product_id: str | None = None
    ) -> list[dict[str, Any]]:
        """``units_left`` from a show's state hash already read (``state``)."""
        return await self._units_left_of(show_id, deals_in(state), now, product_id)

    async def _units_left_of(
        self, show_id: str, started: list[dict[str, Any]], now: int, product_id: str | None
    ) -> list[dict[str, Any]]:
        deals = [
            deal
            for value in started
            for deal in [_deal(show_id, value)]
            if deal.running(now) and product_id in (None, deal.product_id)
        ]
        if not deals:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for deal in deals:
                await pipe.hget(deal.counters_key(), "taken")
            taken = await pipe.execute()
        return [
            {"deal_id": deal.deal_id, "units_left": max(deal.units - int(count or 0), 0)}
            for deal, count in zip(deals, taken, strict=True)
        ]

    async def running(self, now: int) -> list[RunningDeal]:
        """Every deal running in any show at ``now``."""
        show_ids = sorted(cast(set[str], await self._redis.smembers(keys.shows_index())))
        deals: list[RunningDeal] = []
        for show_id in show_ids:
            for value in await show_deals(self._redis, show_id):
                deal = _deal(show_id, value)
                if deal.running(now):
                    deals.append(deal)
        return deals
