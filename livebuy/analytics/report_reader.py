"""Reads everything the post-show report needs from Redis, once (``build_report`` computes it).

All keys are the show's (one hash tag): its definition, its event stream (cues, deals' stock,
games' outcomes: as many events as ``LIVEBUY_STREAM_MAXLEN`` keeps), the per-minute counters,
the sales and the funnel's counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.analytics.funnel import STEPS
from livebuy.analytics.report import ReportInputs, StreamEntry
from livebuy.analytics.service import product_names, sales_rows
from livebuy.redis import keys
from livebuy.redis.connection import queue_pfcount
from livebuy.redis.scripts import LuaScript
from livebuy.shows.service import ShowService

# Entries per script call: each call is short, so a long stream never blocks Redis for long.
STREAM_PAGE = 500
# The event types the report reads: cues, deals' stock, games' outcomes.
REPORTED_TYPES = frozenset(
    {"cue", "stock", "poll_results", "giveaway_result", "red_packets_update", "auction"}
)


@dataclass(frozen=True)
class EventsKeys:
    """KEYS of ``report_events.lua``."""

    events: str


@dataclass(frozen=True)
class EventsArgs:
    """ARGV of ``report_events.lua``."""

    start: str
    count: int
    wanted: str


REPORT_EVENTS = LuaScript("livebuy.analytics", "report_events", EventsKeys, EventsArgs)


async def read_events(redis: Redis, show_id: str) -> list[StreamEntry]:
    """The events of ``REPORTED_TYPES`` the show's stream still holds, oldest first."""
    page_of = REPORT_EVENTS.bind(redis)
    wanted = ",".join(sorted(REPORTED_TYPES))
    events: list[StreamEntry] = []
    start = "-"
    while True:
        last, size, found = await page_of(
            EventsKeys(events=keys.show_events(show_id)), EventsArgs(start, STREAM_PAGE, wanted)
        )
        for entry_id, event_type, at, raw in found:
            data: Any = orjson.loads(raw)
            events.append(
                StreamEntry(
                    seq=int(str(entry_id).partition("-")[2]),
                    type=str(event_type),
                    at=int(at),
                    data=data if isinstance(data, dict) else {},
                )
            )
        if int(size) < STREAM_PAGE:
            return events
        start = f"({last}"


def _per_minute(fields: dict[str, str]) -> dict[int, int]:
    return {int(minute): int(value) for minute, value in fields.items()}


async def read_report_inputs(
    redis: Redis, shows: ShowService, catalog: CatalogStore, show_id: str
) -> ReportInputs:
    """The report's inputs for one show.

    Raises:
        ShowNotFoundError: no such show.
    """
    show = await shows.get(show_id)
    seconds, micros = await redis.time()
    events = await read_events(redis, show_id)
    step_keys = [keys.funnel_step(show_id, step) for step in STEPS]
    async with redis.pipeline(transaction=False) as pipe:
        await pipe.hgetall(keys.analytics_viewers_per_minute(show_id))
        await pipe.hgetall(keys.analytics_chat_per_minute(show_id))
        await pipe.hgetall(keys.analytics_reactions_per_minute(show_id))
        await pipe.hgetall(keys.analytics_sales(show_id))
        await pipe.smembers(keys.funnel_products(show_id))
        await pipe.smembers(keys.funnel_cues(show_id))
        await pipe.hgetall(keys.funnel_counts(show_id))
        await queue_pfcount(pipe, keys.funnel_watchers(show_id))
        for key in step_keys:
            await queue_pfcount(pipe, key)
        # HyperLogLogs unite without double counting: the sessions at any step of a cart.
        bagged, checkout, paid = step_keys[2:]
        await queue_pfcount(pipe, bagged, checkout, paid)
        await queue_pfcount(pipe, bagged, checkout)
        await pipe.hgetall(keys.experiment_counts(show_id))
        replies = await pipe.execute()
    viewers, chat, reactions, sales, products, cues, counts, watchers = replies[:8]
    step_counts = dict(zip(STEPS, (int(count) for count in replies[8:13]), strict=True))
    carts, bagged_or_checkout = int(replies[13]), int(replies[14])
    experiment_counts = cast(dict[str, str], replies[15])
    product_ids = sorted(cast(set[str], products))
    cue_ids = sorted(cast(set[str], cues))
    async with redis.pipeline(transaction=False) as pipe:
        for product_id in product_ids:
            await queue_pfcount(pipe, keys.funnel_seen(show_id, product_id))
            await queue_pfcount(pipe, keys.funnel_added(show_id, product_id))
        for cue in cue_ids:
            for step in STEPS:
                await queue_pfcount(pipe, keys.funnel_cue_step(show_id, cue, step))
        figures = [int(value) for value in await pipe.execute()]
    product_funnel = {
        product_id: (figures[2 * index], figures[2 * index + 1])
        for index, product_id in enumerate(product_ids)
    }
    offset = 2 * len(product_ids)
    cue_steps = {
        cue: dict(zip(STEPS, figures[offset + 5 * index : offset + 5 * index + 5], strict=True))
        for index, cue in enumerate(cue_ids)
    }
    mentioned = {
        str(entry.data["product_id"])
        for entry in events
        if entry.type == "cue" and entry.data.get("kind") in ("pin", "deal_start")
    }
    sales_fields = cast(dict[str, str], sales)
    tested = {experiment.product_id for experiment in show.experiments}
    names = await product_names(
        catalog, {*mentioned, *product_ids, *sales_rows(sales_fields), *tested}
    )
    return ReportInputs(
        show_id=show_id,
        title=show.title,
        now=seconds * 1000 + micros // 1000,
        events=events,
        viewers_per_minute=_per_minute(cast(dict[str, str], viewers)),
        chat_per_minute=_per_minute(cast(dict[str, str], chat)),
        reactions_per_minute=_per_minute(cast(dict[str, str], reactions)),
        sales=sales_fields,
        names=names,
        product_funnel=product_funnel,
        watchers=int(watchers),
        steps=step_counts,
        carts=carts,
        bagged_or_checkout=bagged_or_checkout,
        cue_steps=cue_steps,
        counts=cast(dict[str, str], counts),
        experiments=list(show.experiments),
        experiment_counts=experiment_counts,
    )
