"""Background task that expires unpaid reservations and finishes orders a crash cut short;
any number of processes may run it."""

from __future__ import annotations

import logging

from livebuy import metrics
from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.commerce.orders import OrderService

log = logging.getLogger(__name__)

BATCH = 200


async def sweep_once(orders: OrderService, now: int) -> int:
    """Expire every order whose hold ended by ``now``; returns how many expired.

    Each expiry is one Lua step that re-checks the order, so two sweepers racing on the same
    order release its units once.
    """
    expired = 0
    while True:
        due = await orders.due_for_expiry(now, BATCH)
        for order_id in due:
            expired += await orders.expire(order_id, now)
        if len(due) < BATCH:
            return expired


async def sync_once(orders: OrderService, now: int) -> int:
    """Bring in line the holds of every order due in the sync sets; returns how many.

    Finds what a crash cut: an order left ``reserving`` is given up and its holds released; a
    paid or released order whose holds were not sold or released gets them so. Every hold step
    is idempotent, so racing sweepers and a request still finishing do each change once.
    """
    synced = 0
    while True:
        due = await orders.due_for_sync(now, BATCH)
        for order_id in due:
            await orders.sync(order_id, now)
            synced += 1
        if len(due) < BATCH:
            return synced


def sweeper_loop(orders: OrderService, interval_ms: int, clock: Clock = now_ms) -> ElectedLoop:
    """Sweep every ``interval_ms`` in every process (no lease: racing sweepers are safe)."""

    async def sweep() -> None:
        now = clock()
        count = await sweep_once(orders, now)
        synced = await sync_once(orders, now)
        if synced:
            log.info("orders synced by the sweep", extra={"count": synced})
        if count:
            metrics.ORDER_TRANSITIONS.labels("expired").inc(count)
            log.info("reservations expired", extra={"count": count})

    return ElectedLoop("sweeper", None, sweep, interval_ms / 1000, clock=clock)
