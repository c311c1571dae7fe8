"""A show's funnel per product: cards shown → added to bag → bought.

"Cards shown" counts ``(viewer, cue)`` pairs: a viewer's page reports each card it reveals once
(a ``card_seen`` frame), and a card revealed again to the same viewer (a reconnect, a second
tab of the same session) counts once per cue. "Added to bag" counts the sessions that put the
product in their bag from the show (``PUT /api/cart/items/{sku}`` with ``show_id``). Both are
HyperLogLogs under the show's hash tag: 12 KB per product at most whatever the audience, with a
standard error of 0.81 % (exact in practice below a few hundred members), chosen over sets,
which would cost ~60 bytes per viewer per product. "Bought" is the show's paid sales, as the
dashboard counts them.

The post-show report's funnel (docs/analytics.md) counts each step per session twice, in the
show's total and under the cue on air (``attribution.py``): card shown, product sheet opened,
added to bag here; checkout, paid, abandoned and refunded by the order loop (``order_funnel.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import orjson
from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.analytics.attribution import Candidate, candidates, latest_on_air, on_air
from livebuy.analytics.experiments import (
    EXPERIMENT_CONVERT,
    EXPERIMENT_EXPOSE,
    ConvertArgs,
    ExposeArgs,
    assign,
    counts_keys,
    experiment_of,
    experiments_of,
)
from livebuy.analytics.models import FunnelRow, ShowFunnel
from livebuy.analytics.service import product_names, sales_rows
from livebuy.clock import now_ms
from livebuy.errors import ShowNotFoundError, UnknownCueError
from livebuy.redis import keys
from livebuy.redis.connection import queue_pfcount
from livebuy.redis.lane import hash_reply, run, run_all
from livebuy.redis.scripts import LuaScript
from livebuy.shows.models import ShowDefinition
from livebuy.shows.service import ShowService

# Orders of one batch counted at once: through the lane their commands share writes; without it
# (a cluster) each takes a pooled connection, and the pool per node does not wait.
ORDERS_TOGETHER = 64
# Funnel counters outlive the show by a week (like chat's per-minute counters), then go.
FUNNEL_TTL_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class CountKeys:
    """KEYS of ``funnel_count.lua``: the show's counted products, and one stage's counter."""

    products: str
    counter: str


@dataclass(frozen=True)
class CountArgs:
    """ARGV of ``funnel_count.lua``."""

    product_id: str
    member: str
    ttl_ms: int


FUNNEL_COUNT = LuaScript("livebuy.analytics", "funnel_count", CountKeys, CountArgs)
# Pin cues whose product this process remembers (forgotten all at once when full).
CUE_CACHE_SIZE = 10_000
# How long this process uses a show's run sheet to find its A/B tests before reading it again.
EXPERIMENTS_CACHE_S = 5.0
# The steps a session takes, in funnel order (abandoned orders are counters, not a step).
STEPS = ("shown", "opened", "bagged", "checkout", "paid")


@dataclass(frozen=True)
class StepKeys:
    """KEYS of ``funnel_step.lua``."""

    cues: str
    show_step: str
    cue_step: str


@dataclass(frozen=True)
class StepArgs:
    """ARGV of ``funnel_step.lua``."""

    cue: str
    member: str
    ttl_ms: int


@dataclass(frozen=True)
class OrderKeys:
    """KEYS of ``funnel_order.lua``."""

    orders: str
    cues: str
    show_step: str
    cue_step: str
    counts: str


@dataclass(frozen=True)
class OrderArgs:
    """ARGV of ``funnel_order.lua``."""

    order_id: str
    transition: str
    cue: str
    session: str
    units: int
    revenue: int
    currency: str
    deal_id: str
    ttl_ms: int


FUNNEL_STEP = LuaScript("livebuy.analytics", "funnel_step", StepKeys, StepArgs)
FUNNEL_ORDER = LuaScript("livebuy.analytics", "funnel_order", OrderKeys, OrderArgs)


@dataclass(frozen=True)
class OrderChange:
    """One order of a show moving through the funnel (what the orders stream and order say)."""

    show_id: str
    order_id: str
    transition: str
    session: str
    at: int
    units: int = 0
    revenue: int = 0
    currency: str = ""
    deal_id: str = ""
    products: tuple[str, ...] = ()


class FunnelService:
    """Counts card views and adds to bag per product of a show, and reads the funnel."""

    def __init__(self, redis: Redis, shows: ShowService, catalog: CatalogStore) -> None:
        self._redis = redis
        self._shows = shows
        self._catalog = catalog
        self._count = FUNNEL_COUNT.bind(redis)
        self._step = FUNNEL_STEP.bind(redis)
        self._order = FUNNEL_ORDER.bind(redis)
        self._products: dict[tuple[str, str], str] = {}
        self._expose = EXPERIMENT_EXPOSE.bind(redis)
        self._convert_step = EXPERIMENT_CONVERT.bind(redis)
        self._shows_read: dict[str, tuple[float, ShowDefinition]] = {}

    async def card_seen(
        self,
        show_id: str,
        cue_id: str,
        viewer: str,
        is_session: bool = True,
        claimed_variant: str | None = None,
    ) -> str:
        """Count the card of pin cue ``cue_id`` as shown to ``viewer``; returns its product.

        A session (``is_session``; not an anonymous connection) is also counted as exposed to
        the show's A/B test of the product, under the variant ``assign`` gives it, whatever
        variant the page claims to have drawn (``claimed_variant``).

        Raises:
            UnknownCueError: the cue is no pin of the run sheet, nor a live pin in the history.
        """
        product_id = await self._pinned_product(show_id, cue_id)
        await self._count(
            CountKeys(keys.funnel_products(show_id), keys.funnel_seen(show_id, product_id)),
            CountArgs(product_id, f"{viewer}|{cue_id}", FUNNEL_TTL_MS),
        )
        # The card names its cue: the view is credited to it, not to whatever is on air now.
        await self._count_step(show_id, "shown", cue_id, viewer)
        if is_session:
            experiment = experiment_of(await self._show(show_id), product_id)
            if experiment is not None:
                await self._expose(
                    counts_keys(show_id),
                    ExposeArgs(
                        experiment_id=experiment.id,
                        session=viewer,
                        variant=assign(experiment, viewer).name,
                        claimed=claimed_variant or "",
                        ttl_ms=FUNNEL_TTL_MS,
                    ),
                )
        return product_id

    async def added_to_bag(self, show_id: str, product_id: str, session_id: str) -> None:
        """Count ``session_id`` as having added ``product_id`` to its bag from the show."""
        await self._count(
            CountKeys(keys.funnel_products(show_id), keys.funnel_added(show_id, product_id)),
            CountArgs(product_id, session_id, FUNNEL_TTL_MS),
        )
        await self._count_step(show_id, "bagged", await self.on_air(show_id), session_id)
        await self._convert(show_id, "bagged", session_id, [product_id])

    async def sheet_opened(self, show_id: str, product_id: str, session_id: str) -> None:
        """Count ``session_id`` as having opened a product sheet of the show.

        Raises:
            ShowNotFoundError: no such show.
            ProductNotFoundError: no such product.
        """
        await self._shows.get(show_id)
        await self._catalog.get_product(product_id)
        await self._count_step(show_id, "opened", await self.on_air(show_id), session_id)

    async def on_air(self, show_id: str, at: int | None = None) -> str:
        """The attribution key of the cue on air in the show at ``at`` (default now)."""
        fields = cast(dict[str, str], await self._redis.hgetall(keys.show_state(show_id)))
        return on_air(fields, now_ms() if at is None else at)

    async def orders_changed(self, changes: Sequence[OrderChange]) -> int:
        """Count orders' transitions, each once (one batch of the orders stream); returns how
        many counted (not seen before).

        Paying, abandoning and refunding are credited to the cue of the order's checkout (or, for
        an order whose checkout was never counted, to the cue on air at the change). Each show's
        state is read once for the batch; the orders are counted together (their round trips
        share the lane's writes), each order's transitions in turn.
        """
        shows = sorted({change.show_id for change in changes})
        states = await run_all(self._redis, *(("HGETALL", keys.show_state(s)) for s in shows))
        on_air_in = {
            show_id: candidates(hash_reply(state))
            for show_id, state in zip(shows, states, strict=True)
        }
        by_order: dict[str, list[OrderChange]] = {}
        for change in changes:
            by_order.setdefault(change.order_id, []).append(change)

        together = asyncio.Semaphore(ORDERS_TOGETHER)

        async def count(order_changes: list[OrderChange]) -> int:
            counted = 0
            async with together:
                for change in order_changes:
                    counted += await self._order_changed(change, on_air_in[change.show_id])
            return counted

        return sum(await asyncio.gather(*(count(chain) for chain in by_order.values())))

    async def _order_changed(self, change: OrderChange, on_air_in: list[Candidate]) -> int:
        show_id = change.show_id
        raw = None
        # A checkout counts only for an order the funnel has not seen (the script refuses one it
        # has, whatever cue it is given): its cue is the one on air, no read needed.
        if change.transition != "checkout":
            key = keys.funnel_orders(show_id)
            raw = cast(str | None, await run(self._redis, "HGET", key, change.order_id))
        cue = orjson.loads(raw)["cue"] if raw else latest_on_air(on_air_in, change.at)
        # Only checkout and paid add the session to a step; the others pass keys they never touch.
        step = change.transition if change.transition == "checkout" else "paid"
        counted = await self._order(
            OrderKeys(
                orders=keys.funnel_orders(show_id),
                cues=keys.funnel_cues(show_id),
                show_step=keys.funnel_step(show_id, step),
                cue_step=keys.funnel_cue_step(show_id, cue, step),
                counts=keys.funnel_counts(show_id),
            ),
            OrderArgs(
                order_id=change.order_id,
                transition=change.transition,
                cue=cue,
                session=change.session,
                units=change.units,
                revenue=change.revenue,
                currency=change.currency,
                deal_id=change.deal_id,
                ttl_ms=FUNNEL_TTL_MS,
            ),
        )
        if change.transition == "paid":
            await self._convert(show_id, "paid", change.session, change.products)
        return int(counted)

    async def _show(self, show_id: str) -> ShowDefinition:
        # Cards are revealed to thousands of viewers at once: the run sheet is read once per
        # EXPERIMENTS_CACHE_S per process (a changed sheet's experiments count after that).
        now = time.monotonic()
        cached = self._shows_read.get(show_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        show = await self._shows.get(show_id)
        if len(self._shows_read) >= CUE_CACHE_SIZE:
            self._shows_read.clear()
        self._shows_read[show_id] = (now + EXPERIMENTS_CACHE_S, show)
        return show

    async def _convert(
        self, show_id: str, step: str, session_id: str, product_ids: Iterable[str]
    ) -> None:
        """Count ``step`` for the session in the show's A/B tests of ``product_ids``."""
        try:
            show = await self._show(show_id)
        except ShowNotFoundError:
            # An order of a show deleted since: nothing to test any more.
            return
        experiments = experiments_of(show, product_ids)
        if experiments and session_id:
            await self._convert_step(
                counts_keys(show_id),
                ConvertArgs(
                    step=step,
                    session=session_id,
                    ttl_ms=FUNNEL_TTL_MS,
                    experiment_ids=tuple(experiment.id for experiment in experiments),
                ),
            )

    async def _count_step(self, show_id: str, step: str, cue: str, member: str) -> None:
        await self._step(
            StepKeys(
                cues=keys.funnel_cues(show_id),
                show_step=keys.funnel_step(show_id, step),
                cue_step=keys.funnel_cue_step(show_id, cue, step),
            ),
            StepArgs(cue=cue, member=member, ttl_ms=FUNNEL_TTL_MS),
        )

    async def show(self, show_id: str) -> ShowFunnel:
        """The funnel of every product the show counted a view, an add or a sale of.

        Raises:
            ShowNotFoundError: no such show.
        """
        await self._shows.get(show_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            await pipe.smembers(keys.funnel_products(show_id))
            await pipe.hgetall(keys.analytics_sales(show_id))
            counted, sales_fields = await pipe.execute()
        sales = sales_rows(cast(dict[str, str], sales_fields))
        products = sorted(set(cast(set[str], counted)) | sales.keys())
        async with self._redis.pipeline(transaction=False) as pipe:
            for product_id in products:
                await queue_pfcount(pipe, keys.funnel_seen(show_id, product_id))
                await queue_pfcount(pipe, keys.funnel_added(show_id, product_id))
            figures = await pipe.execute()
        names = await product_names(self._catalog, set(products))
        rows = []
        for index, product_id in enumerate(products):
            units, orders, _, _ = sales.get(product_id, (0, 0, 0, ""))
            rows.append(
                FunnelRow(
                    product_id=product_id,
                    name=names[product_id],
                    cards_shown=int(figures[2 * index]),
                    added_to_bag=int(figures[2 * index + 1]),
                    bought_units=units,
                    bought_orders=orders,
                )
            )
        return ShowFunnel(show_id=show_id, products=rows)

    async def _pinned_product(self, show_id: str, cue_id: str) -> str:
        # A cue's product never changes, so this process remembers it: a card revealed to
        # thousands of viewers at once is looked up once.
        product_id = self._products.get((show_id, cue_id))
        if product_id is None:
            product_id = await self._find_pin(show_id, cue_id)
            if len(self._products) >= CUE_CACHE_SIZE:
                self._products.clear()
            self._products[(show_id, cue_id)] = product_id
        return product_id

    async def _find_pin(self, show_id: str, cue_id: str) -> str:
        show = await self._shows.get(show_id)
        for line in show.cues:
            if line.id == cue_id and line.cue.kind == "pin":
                return line.cue.product_id
        # A live pin (even one re-pinned or taken off air since: a viewer behind live reveals it
        # late): its dedupe marker names its seq, and the stream entry its product.
        seq = cast(
            str | None, await self._redis.get(keys.show_published(show_id, f"live:{cue_id}"))
        )
        if seq is not None:
            entries = cast(
                list[tuple[str, dict[str, str]]],
                await self._redis.xrange(keys.show_events(show_id), min=f"0-{seq}", max=f"0-{seq}"),
            )
            for _, fields in entries:
                data = orjson.loads(fields["data"])
                if fields["type"] == "cue" and data.get("kind") == "pin":
                    return str(data["product_id"])
        raise UnknownCueError(
            f"no pin cue '{cue_id}' in show '{show_id}'", show_id=show_id, cue_id=cue_id
        )
