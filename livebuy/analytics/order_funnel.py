"""Counts the orders of shows into their funnels, from the orders stream, off the request path.

Every order state change is already one entry of the orders stream (written by the order's own
Lua step). One process, elected by a lease, reads the stream after the last entry it counted and
moves each show order through the funnel (``FunnelService.orders_changed``): created → checkout,
paid → paid, expired or cancelled unpaid → abandoned, cancelled after paying → refunded. Its
cursor is saved after each batch; a batch read again after a crash counts nothing twice, since
each order's funnel state says which transitions it already made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import orjson
from redis.asyncio import Redis

from livebuy.analytics.funnel import FunnelService, OrderChange
from livebuy.background import ElectedLoop
from livebuy.redis import keys
from livebuy.redis.lane import run_all
from livebuy.redis.lease import Lease

BATCH = 500
# The fields of an order its funnel change needs (``order_change`` reads them in this order).
ORDER_FIELDS = ("show_id", "customer", "currency", "deal_id", "counted_sales")


def transition(fields: dict[str, str]) -> str | None:
    """The funnel transition of one orders-stream entry, or ``None`` for one it ignores."""
    status = fields.get("status")
    if status == "pending_payment":
        return "checkout"
    if status == "paid":
        return "paid"
    if status == "expired":
        return "abandoned"
    if status == "cancelled":
        return "refunded" if fields.get("was") == "paid" else "abandoned"
    return None


def order_change(
    entry: dict[str, str], order: Sequence[str | None], step: str
) -> OrderChange | None:
    """The change to count for a stream ``entry`` of a stored order, given its ``ORDER_FIELDS``
    (each ``None`` when absent, all of them for an order gone); ``None`` without a show."""
    show_id, customer, currency, deal_id, counted_sales = order
    if not show_id:
        return None
    sold = orjson.loads(counted_sales) if counted_sales else []
    return OrderChange(
        show_id=show_id,
        order_id=entry["order_id"],
        transition=step,
        session=customer if customer is not None else entry.get("customer", ""),
        at=int(entry.get("at") or 0),
        units=sum(int(line["units"]) for line in sold),
        revenue=sum(int(line["revenue"]) for line in sold),
        currency=currency or "",
        deal_id=deal_id or "",
        products=tuple(str(line["product_id"]) for line in sold if "product_id" in line),
    )


class OrderFunnel:
    """Tails the orders stream into the shows' funnels (register ``loop``)."""

    def __init__(
        self, redis: Redis, funnel: FunnelService, *, interval_ms: int, lease_ms: int
    ) -> None:
        self._redis = redis
        self._funnel = funnel
        self.loop = ElectedLoop(
            "order-funnel",
            Lease(redis, keys.funnel_orders_lease(), lease_ms),
            self.step,
            interval_ms / 1000,
        )

    async def step(self) -> int:
        """Count the entries after the cursor (one batch); returns how many it read."""
        # One read position per bucket's stream (a hash bucket -> last entry id counted).
        cursors = cast(dict[str, str], await self._redis.hgetall(keys.funnel_orders_cursor()))
        async with self._redis.pipeline(transaction=False) as pipe:
            for bucket in keys.order_buckets():
                stream = keys.orders_stream(bucket)
                await pipe.xrange(stream, f"({cursors.get(str(bucket), '0-0')}", "+", count=BATCH)
            replies = cast(list[list[tuple[str, dict[str, str]]]], await pipe.execute())
        read = {str(bucket): batch for bucket, batch in enumerate(replies) if batch}
        if not read:
            return 0
        entries = [entry for batch in read.values() for entry in batch]
        wanted = [(entry, step) for _, entry in entries if (step := transition(entry))]
        # Only the fields the funnel needs, through the lane when there is one (hiredis parses).
        orders = cast(
            list[list[str | None]],
            await run_all(
                self._redis,
                *(("HMGET", keys.order(entry["order_id"]), *ORDER_FIELDS) for entry, _ in wanted),
            ),
        )
        changes = [
            change
            for (entry, step), order in zip(wanted, orders, strict=True)
            if (change := order_change(entry, order, step)) is not None
        ]
        await self._funnel.orders_changed(changes)
        await self._redis.hset(
            keys.funnel_orders_cursor(),
            mapping={bucket: batch[-1][0] for bucket, batch in read.items()},
        )
        return len(entries)
