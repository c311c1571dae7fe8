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
from livebuy.redis.lane import hash_reply, run_all
from livebuy.redis.scripts import LuaScript, ScriptCall, run_together, variadic
from livebuy.shows.models import ShowDefinition
from livebuy.shows.service import ShowService

# Order changes of one show counted per script call. A script call holds Redis for as long as it
# runs, every other client waiting: a big batch (one read again after a crash is BATCH entries per
# bucket) is counted in calls this short, so a buyer waits behind one of them at most.
CHANGES_PER_CALL = 100
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
class OrdersKeys:
    """KEYS of ``funnel_orders.lua``: the show's order states, cues and counters, its checkout and
    paid steps, then the cues' steps the call's changes add their sessions to (each once)."""

    orders: str
    cues: str
    counts: str
    show_checkout: str
    show_paid: str
    cue_steps: tuple[str, ...] = variadic()


# KEYS of ``funnel_orders.lua`` before its cues' steps.
ORDERS_FIXED_KEYS = 5


@dataclass(frozen=True)
class OrdersArgs:
    """ARGV of ``funnel_orders.lua``: its changes in order, a JSON array of ``change_row``."""

    changes: bytes
    ttl_ms: int


FUNNEL_STEP = LuaScript("livebuy.analytics", "funnel_step", StepKeys, StepArgs)
FUNNEL_ORDERS = LuaScript("livebuy.analytics", "funnel_orders", OrdersKeys, OrdersArgs)


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


# One change as ``funnel_orders.lua`` reads it: order id, transition, cue, session, units,
# revenue, currency, deal id, and the index in KEYS of its cue's step (0: it adds no session).
ChangeRow = tuple[str, str, str, str, int, int, str, str, int]


def change_row(change: OrderChange, cue: str, cue_step: int) -> ChangeRow:
    """``change`` as ``funnel_orders.lua`` reads it, credited to ``cue``."""
    return (
        change.order_id,
        change.transition,
        cue,
        change.session,
        change.units,
        change.revenue,
        change.currency,
        change.deal_id,
        cue_step,
    )


def change_cues(
    changes: Sequence[OrderChange], recorded: dict[str, str], on_air_in: list[Candidate]
) -> list[str]:
    """The cue each of a show's ``changes`` (in order) is credited to, as ``funnel_orders.lua``
    will find it: the cue of the order's funnel state when it has one (``recorded``, read before
    the batch), else the cue its first counted change in the batch got, else the cue on air at
    the change. A change of an order without a state counts unless it is a refund (nothing was
    paid to take back), and records the cue it was given.
    """
    cue_of = dict(recorded)
    cues: list[str] = []
    for change in changes:
        cue = cue_of.get(change.order_id)
        if cue is None:
            cue = latest_on_air(on_air_in, change.at)
            if change.transition != "refunded":
                cue_of[change.order_id] = cue
        cues.append(cue)
    return cues


class FunnelService:
    """Counts card views and adds to bag per product of a show, and reads the funnel."""

    def __init__(self, redis: Redis, shows: ShowService, catalog: CatalogStore) -> None:
        self._redis = redis
        self._shows = shows
        self._catalog = catalog
        self._count = FUNNEL_COUNT.bind(redis)
        self._step = FUNNEL_STEP.bind(redis)
        self._orders = FUNNEL_ORDERS.bind(redis)
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
        """Count orders' transitions, each once (one batch of the orders stream, in its order);
        returns how many counted (not seen before).

        Paying, abandoning and refunding are credited to the cue of the order's checkout (or, for
        an order whose checkout was never counted, to the cue on air at its first counted change).
        Each show's state and the funnel states of the orders it needs are read once, every
        show's in one round trip; its changes are then counted by ``funnel_orders.lua``, up to
        ``CHANGES_PER_CALL`` per call, in order (each script call has a fixed cost to Redis,
        which a call per order paid on every buy). Every paid change then counts in its show's
        A/B tests, all in one round trip.
        """
        by_show: dict[str, list[OrderChange]] = {}
        for change in changes:
            by_show.setdefault(change.show_id, []).append(change)
        if not by_show:
            return 0
        shows = list(by_show)
        # A checkout counts only for an order the funnel has not seen (the script refuses one it
        # has, whatever cue it is given): only the orders with another change need their state.
        read = {
            show_id: sorted({c.order_id for c in by_show[show_id] if c.transition != "checkout"})
            for show_id in shows
        }
        read = {show_id: order_ids for show_id, order_ids in read.items() if order_ids}
        replies = await run_all(
            self._redis,
            *(("HGETALL", keys.show_state(show_id)) for show_id in shows),
            *(("HMGET", keys.funnel_orders(show_id), *ids) for show_id, ids in read.items()),
        )
        states, records = replies[: len(shows)], iter(replies[len(shows) :])
        counted = 0
        for show_id, state in zip(shows, states, strict=True):
            recorded: dict[str, str] = {}
            if show_id in read:
                values = cast(list[str | None], next(records))
                recorded = {
                    order_id: str(orjson.loads(raw)["cue"])
                    for order_id, raw in zip(read[show_id], values, strict=True)
                    if raw
                }
            show_changes = by_show[show_id]
            cues = change_cues(show_changes, recorded, candidates(hash_reply(state)))
            for start in range(0, len(show_changes), CHANGES_PER_CALL):
                end = start + CHANGES_PER_CALL
                counted += await self._count_orders(
                    show_id, show_changes[start:end], cues[start:end]
                )
        await self._convert_paid(changes)
        return counted

    async def _count_orders(
        self, show_id: str, changes: Sequence[OrderChange], cues: Sequence[str]
    ) -> int:
        """One ``funnel_orders.lua`` call for ``changes`` of one show, credited to ``cues``."""
        # Each cue's step key is given once, and each change names its place in KEYS.
        cue_steps: dict[str, int] = {}
        rows: list[ChangeRow] = []
        for change, cue in zip(changes, cues, strict=True):
            index = 0
            if change.transition in ("checkout", "paid"):
                key = keys.funnel_cue_step(show_id, cue, change.transition)
                index = cue_steps.setdefault(key, ORDERS_FIXED_KEYS + len(cue_steps) + 1)
            rows.append(change_row(change, cue, index))
        counted = await self._orders(
            OrdersKeys(
                orders=keys.funnel_orders(show_id),
                cues=keys.funnel_cues(show_id),
                counts=keys.funnel_counts(show_id),
                show_checkout=keys.funnel_step(show_id, "checkout"),
                show_paid=keys.funnel_step(show_id, "paid"),
                cue_steps=tuple(cue_steps),
            ),
            OrdersArgs(changes=orjson.dumps(rows), ttl_ms=FUNNEL_TTL_MS),
        )
        return int(counted)

    async def _convert_paid(self, changes: Sequence[OrderChange]) -> None:
        """Count every paid change in its show's A/B tests, counted by the funnel or not: a batch
        read again after a crash between the funnel's count and this one converts then (the
        conversion script counts a session's step once)."""
        calls: list[ScriptCall] = []
        for change in changes:
            if change.transition != "paid":
                continue
            args = await self._convert_args(change.show_id, "paid", change.session, change.products)
            if args is not None:
                calls.append(self._convert_step.as_call(counts_keys(change.show_id), args))
        if calls:
            await run_together(self._redis, calls)

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
        args = await self._convert_args(show_id, step, session_id, product_ids)
        if args is not None:
            await self._convert_step(counts_keys(show_id), args)

    async def _convert_args(
        self, show_id: str, step: str, session_id: str, product_ids: Iterable[str]
    ) -> ConvertArgs | None:
        """What counts ``step`` for the session in the show's A/B tests of ``product_ids``;
        ``None`` when there is nothing to count."""
        try:
            show = await self._show(show_id)
        except ShowNotFoundError:
            # An order of a show deleted since: nothing to test any more.
            return None
        experiments = experiments_of(show, product_ids)
        if not experiments or not session_id:
            return None
        return ConvertArgs(
            step=step,
            session=session_id,
            ttl_ms=FUNNEL_TTL_MS,
            experiment_ids=tuple(experiment.id for experiment in experiments),
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
