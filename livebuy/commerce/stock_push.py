"""Pushes ``stock`` frames to the shows: one process (lease-elected), coalesced per product.

A product's frame goes only to the shows where it is pinned or on a running deal: viewers of
other shows have no use for it (their snapshot and pin frames carry the card when it matters).

Inventory scripts add the product to a dirty set; the pusher pops it, and sends a frame for a
product at most once per ``interval_ms`` — except a sold-out product, which goes out at once.
A pusher that dies after popping loses only those few changes until the product's next change.
With nothing popped and nothing pending it rests, doubling its tick up to ``interval_ms`` (the
period a busy product's frames are coalesced over anyway), so the first change after a quiet
spell goes out within ``interval_ms`` and every later one at the usual tick.
"""

from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis

from catalog.keys import STOCK_BUCKETS
from catalog.models import ProductCard
from catalog.store import CatalogStore
from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.commerce.deals import DealBook
from livebuy.errors import ProductNotFoundError
from livebuy.events.models import StockEvent
from livebuy.events.state import is_pinned
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.redis.lease import Lease

TICK_MS = 25
POP_BATCH = 500


def stock_frame(card: ProductCard, deals: list[dict[str, Any]]) -> StockEvent:
    """The ``stock`` event of a product; ``deals`` are the show's running deals of it."""
    return StockEvent.model_validate(
        {
            "product_id": card.id,
            "available": card.available,
            "sold_out": card.available == 0,
            "stock": [{"sku": s.sku, "available": s.available} for s in card.stock],
            "deals": deals,
        }
    )


class StockPusher:
    """Coalesces stock changes per product and appends them to the shows' streams (``loop``)."""

    def __init__(
        self,
        redis: Redis,
        catalog: CatalogStore,
        stream: ShowStream,
        interval_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self._redis = redis
        self._catalog = catalog
        self._stream = stream
        self._interval_ms = interval_ms
        self._clock = clock
        self.loop = ElectedLoop(
            "stock-pusher",
            Lease(redis, keys.stock_push_lease(), lease_ms),
            lambda: self.step(clock()),
            TICK_MS / 1000,
            idle=self._idle,
            max_idle_s=interval_ms / 1000,
            clock=clock,
        )
        self._popped = True
        self._deals = DealBook(redis)
        self._pending: set[str] = set()
        self._last_push: dict[str, int] = {}
        self._sold_out_pushed: set[str] = set()

    def _idle(self) -> float | None:
        return None if self._popped or self._pending else float("inf")

    async def step(self, now: int) -> int:
        """Pop changed products and push those that are due; returns frames appended."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for bucket in range(STOCK_BUCKETS):
                await pipe.spop(keys.stock_dirty(bucket), POP_BATCH)
            popped = cast(list[list[str] | None], await pipe.execute())
        self._popped = any(popped)
        for products in popped:
            self._pending.update(products or [])
        if not self._pending:
            return 0
        cards: list[ProductCard] = []
        for product_id in sorted(self._pending):
            try:
                cards.extend(await self._catalog.get_cards([product_id]))
            except ProductNotFoundError:
                self._pending.discard(product_id)
        due = [
            card
            for card in cards
            if card.available == 0
            or now - self._last_push.get(card.id, -self._interval_ms) >= self._interval_ms
        ]
        if not due:
            return 0
        show_ids = sorted(cast(set[str], await self._redis.smembers(keys.shows_index())))
        states: dict[str, dict[str, str]] = {}
        for show_id in show_ids:
            states[show_id] = cast(
                dict[str, str], await self._redis.hgetall(keys.show_state(show_id))
            )
        appended = 0
        for card in due:
            self._pending.discard(card.id)
            # A sold-out already pushed need not go again until the product has stock again.
            if card.available == 0 and card.id in self._sold_out_pushed:
                continue
            if card.available == 0:
                self._sold_out_pushed.add(card.id)
            else:
                self._sold_out_pushed.discard(card.id)
            self._last_push[card.id] = now
            for show_id, state in states.items():
                # Deals are per show: each show's frame says how many of its deal units are left.
                deals = await self._deals.units_left_in(show_id, state, now, card.id)
                if not deals and not is_pinned(state, card.id):
                    continue
                await self._stream.append(show_id, now, stock_frame(card, deals))
                appended += 1
        return appended
