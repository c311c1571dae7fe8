"""Script calls of different slots sent together: each runs once, replies in order, NOSCRIPT reloads."""

from __future__ import annotations

from redis.asyncio import Redis

from livebuy.redis import keys
from livebuy.redis.scripts import ScriptCall, register, run_together

# Three SKUs in three different stock buckets (so three hash slots).
SKUS = ("RT-A", "RT-B", "RT-C")


def reserve(stock_hold: object, sku: str, quantity: int) -> ScriptCall:
    """A ``stock_hold.lua`` reserve of ``quantity`` units of ``sku`` for order ``rt-order``."""
    bucket = keys.stock_bucket(sku)
    return (
        stock_hold,  # type: ignore[return-value]
        [keys.stock_dirty(bucket), keys.inventory(sku), keys.stock_hold(sku, "rt-order")],
        ["reserve", f"[{quantity}]", '["rt-product"]', 60_000],
    )


async def check_run_together(redis: Redis) -> None:
    """Replies come back in call order; after a ``SCRIPT FLUSH`` each call still runs once."""
    assert len({keys.stock_bucket(sku) for sku in SKUS}) == len(SKUS)
    stock_hold = register(redis, "livebuy.commerce", "stock_hold")
    for sku in SKUS:
        await redis.delete(keys.stock_hold(sku, "rt-order"))
        await redis.hset(keys.inventory(sku), mapping={"available": 2, "reserved": 0})
    await redis.script_flush()
    replies = await run_together(
        redis, [reserve(stock_hold, "RT-A", 1), reserve(stock_hold, "RT-B", 5)]
    )
    assert replies == [["ok"], ["error", "out_of_stock", 0, "2 left"]]
    replies = await run_together(redis, [reserve(stock_hold, sku, 2) for sku in SKUS])
    # RT-A's hold was taken by the first call: idempotent, nothing more reserved.
    assert replies == [["ok"], ["ok"], ["ok"]]
    levels = [await redis.hget(keys.inventory(sku), "available") for sku in SKUS]
    assert levels == ["1", "0", "0"]


async def test_script_calls_of_several_slots_run_together(redis: Redis) -> None:
    """On one Redis: replies in order, each call once, a flushed script cache reloaded."""
    await check_run_together(redis)
