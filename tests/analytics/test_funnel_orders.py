"""The order funnel counts a show's batch of order changes in script calls of many changes, with
the figures a call per order gave: each transition once, credited to the order's first cue."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.analytics import funnel as funnel_module
from livebuy.analytics.funnel import FunnelService, OrderChange
from livebuy.analytics.order_funnel import ORDER_FIELDS, order_change
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.shows.service import ShowService

SHOW = "batch-show"
CUES = ("cue-a", "cue-b", "cue-c")
STEPS = ("checkout", "paid")


def funnel_service(redis: Redis) -> FunnelService:
    """A funnel service on ``redis`` (its shows unknown: no A/B test to convert in)."""
    catalog = CatalogStore(redis)
    return FunnelService(redis, ShowService(redis, ShowStream(redis, 1000), catalog, 1.0), catalog)


async def pin(redis: Redis, show_id: str, product_id: str, cue_id: str, at: int) -> None:
    """Put a pin on air in the show's state, as the show's append step does."""
    value = orjson.dumps({"cue_id": cue_id, "at": at})
    await redis.hset(keys.show_state(show_id), f"pin:{product_id}", value)


async def figures(redis: Redis, show_id: str) -> dict[str, Any]:
    """Every figure the order funnel keeps for the show: counters, cues, sessions per step."""
    sessions = {step: await redis.pfcount(keys.funnel_step(show_id, step)) for step in STEPS}
    for cue in CUES:
        for step in STEPS:
            sessions[f"{cue}|{step}"] = await redis.pfcount(
                keys.funnel_cue_step(show_id, cue, step)
            )
    return {
        "counts": await redis.hgetall(keys.funnel_counts(show_id)),
        "cues": await redis.smembers(keys.funnel_cues(show_id)),
        "sessions": sessions,
    }


async def check_batches_count_as_orders_one_by_one(redis: Redis, show_id: str) -> None:
    """Two batches then both again: the figures per-order counting gives, then no change."""
    funnel = funnel_service(redis)

    def change(order_id: str, transition: str, at: int, **sale: Any) -> OrderChange:
        session = "s" + order_id.removeprefix("o")
        return OrderChange(show_id, order_id, transition, session, at, **sale)

    # cue-a on air from 1000, cue-b from 2000 (cue-c from 3000, before the second batch).
    await pin(redis, show_id, "p1", "cue-a", 1000)
    await pin(redis, show_id, "p2", "cue-b", 2000)
    first = [
        change("o1", "checkout", 1500),
        change("o2", "checkout", 1200),
        # Nothing paid to take back: not counted, and o5's cue is its abandoning's.
        change("o5", "refunded", 1300),
        # Paid while cue-b is on air: credited to its checkout's cue-a.
        change("o1", "paid", 2500, units=2, revenue=3000, currency="EUR"),
        # No checkout counted: credited to the cue on air when paid.
        change("o3", "paid", 2200, units=1, revenue=1000, currency="EUR", deal_id="flash"),
        change("o4", "checkout", 2100),
        change("o2", "abandoned", 2600),
        change("o1", "refunded", 2800),
        change("o5", "abandoned", 2700),
    ]
    assert await funnel.orders_changed(first) == 8
    await pin(redis, show_id, "p3", "cue-c", 3000)
    second = [
        # Checked out (a batch before) under cue-b: paid while cue-c is on air, credited to cue-b.
        change("o4", "paid", 3500, units=3, revenue=4500, currency="EUR", deal_id="flash"),
        # Abandoned already: paying no longer counts.
        change("o2", "paid", 3600, units=1, revenue=900, currency="EUR"),
    ]
    assert await funnel.orders_changed(second) == 1
    counted = await figures(redis, show_id)
    assert counted == {
        "counts": {
            "cue-a|checkout_orders": "2",
            "cue-a|abandoned_orders": "1",
            # o1's sale, taken back by its refund.
            "cue-a|paid_orders": "0",
            "cue-a|paid_units": "0",
            "cue-a|revenue:EUR": "0",
            "cue-a|refunded_orders": "1",
            "cue-b|checkout_orders": "1",
            "cue-b|abandoned_orders": "1",
            "cue-b|paid_orders": "2",
            "cue-b|paid_units": "4",
            "cue-b|revenue:EUR": "5500",
            "deal_sales:flash|paid_orders": "2",
            "deal_sales:flash|paid_units": "4",
            "deal_sales:flash|revenue:EUR": "5500",
        },
        "cues": {"cue-a", "cue-b"},
        "sessions": {
            "checkout": 3,
            "paid": 3,
            "cue-a|checkout": 2,
            "cue-a|paid": 1,
            "cue-b|checkout": 1,
            "cue-b|paid": 2,
            "cue-c|checkout": 0,
            "cue-c|paid": 0,
        },
    }
    # Read again (a crash before the cursor was saved): nothing counts twice.
    assert await funnel.orders_changed(first + second) == 0
    assert await figures(redis, show_id) == counted
    ttl = await redis.pttl(keys.funnel_cue_step(show_id, "cue-b", "paid"))
    assert 0 < ttl <= funnel_module.FUNNEL_TTL_MS


@pytest.mark.parametrize("per_call", [1, 2, funnel_module.CHANGES_PER_CALL])
async def test_a_batch_counts_as_its_orders_one_by_one(
    redis: Redis, monkeypatch: pytest.MonkeyPatch, per_call: int
) -> None:
    """Checkout then paid, a refund and an abandon of one batch, two cues, a batch read again:
    the per-order figures, however the show's changes are cut into script calls."""
    monkeypatch.setattr(funnel_module, "CHANGES_PER_CALL", per_call)
    await check_batches_count_as_orders_one_by_one(redis, SHOW)


def test_an_order_gone_or_without_a_show_gives_no_change() -> None:
    """An order whose fields are all absent (gone) or that names no show is not counted; a
    stored order's customer wins over the stream entry's."""
    entry = {"order_id": "o1", "customer": "entry-customer", "at": "5"}
    assert order_change(entry, [None] * len(ORDER_FIELDS), "paid") is None
    sold = orjson.dumps([{"units": 2, "revenue": 300, "product_id": "p1"}]).decode()
    stored = order_change(entry, [SHOW, "stored-customer", "EUR", None, sold], "paid")
    assert stored == OrderChange(
        SHOW, "o1", "paid", "stored-customer", 5, 2, 300, "EUR", "", ("p1",)
    )
    unnamed = order_change(entry, [SHOW, None, None, None, None], "checkout")
    assert unnamed is not None and unnamed.session == "entry-customer"
