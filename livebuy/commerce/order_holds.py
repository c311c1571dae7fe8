"""An order's holds outside its customer's slot: stock per bucket, the deal, the coupon, sales.

Each hold step is one Lua script in one slot, idempotent by order id and only moving forward
(``reserved → sold → released``), so the customer-slot steps decide and the holds follow, as
often as a crash makes it necessary (docs/scaling.md "Commerce on a cluster").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, cast

import orjson
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from livebuy.redis import keys
from livebuy.redis.lane import Script
from livebuy.redis.scripts import ScriptCall, lua_source, register, run_together

# A hold released before it was reserved refuses a late reserve this long (far past any request).
TOMBSTONE_MS = 24 * 3600 * 1000
# Statuses whose holds are given back.
RELEASED = frozenset({"aborted", "cancelled", "expired"})


@dataclass(frozen=True)
class DealCheck:
    """What the deal hold checks, atomically, for a deal order: the show's state says the deal
    runs (the run that started at ``started_at``), and its counters have units left."""

    deal_id: str
    state_key: str
    state_field: str
    started_at: int
    counters_key: str
    # The state field of the deal's lottery (refused ``deal_in_lottery`` while it runs); empty:
    # no such check (a lottery winner's own order).
    lottery_field: str = ""


@dataclass(frozen=True)
class Reserved:
    """What the holds took: the lines priced (a deal line at its deal price), the coupon's
    discount and the deal's units."""

    lines: list[dict[str, Any]]
    discount: int
    deal_units: int


class HoldRefused(Exception):
    """A hold step refused: ``code`` (a script refusal), the ``line`` and the ``detail``."""

    def __init__(self, code: str, line: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.line = line
        self.detail = detail


def _show_of(fields: dict[str, str]) -> str:
    return fields.get("show_id", "")


class OrderHolds:
    """Reserves, sells and releases an order's holds; ``sync`` makes them agree with its status."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._stock = register(redis, "livebuy.commerce", "stock_hold")
        self._deal = _register_with_hold_lib(redis, "deal_hold")
        self._coupon = _register_with_hold_lib(redis, "coupon_hold")
        self._sales = register(redis, "livebuy.commerce", "sales_count")
        self._sync = register(redis, "livebuy.commerce", "order_sync")

    async def reserve(
        self,
        *,
        now: int,
        order_id: str,
        customer: str,
        lines: list[dict[str, Any]],
        deal: DealCheck | None,
        coupon: str,
    ) -> Reserved:
        """Take every hold of a new order: stock (bucket by bucket), the deal, the coupon.

        Raises:
            HoldRefused: a hold was refused; the holds taken before it are kept (the caller
                aborts the order, then releases them all).
        """
        # One hold after the other, in a fixed order (stock buckets, then the deal), never
        # together: taken at once, two scarce holds can be split across buyers (one gets the last
        # stock unit, another the last deal unit) so that both are refused while units remain. In
        # this order only a buyer holding stock ever takes a deal unit.
        for indexed, stock_keys, stock_args in stock_reserves(order_id, lines):
            reply = await self._stock(keys=stock_keys, args=stock_args)
            if reply[0] == "error":
                raise HoldRefused(str(reply[1]), indexed[int(reply[2])][0], str(reply[3]))
        priced = [dict(line) for line in lines]
        deal_units = 0
        if deal is not None:
            reply = await self._deal(*deal_reserve(deal, order_id, now, customer, lines))
            if reply[0] == "error":
                raise HoldRefused(str(reply[1]), int(reply[2]), str(reply[3]))
            held = orjson.loads(reply[1])
            deal_units = int(held["units"])
            for line in priced:
                if line["product_id"] == held["product_id"]:
                    line["unit_price"] = held["price"]
                    line["deal_id"] = deal.deal_id
        discount = 0
        if coupon:
            subtotal = sum(int(line["unit_price"]) * int(line["quantity"]) for line in priced)
            currency = priced[0]["currency"]
            reply = await self._coupon(
                *coupon_reserve(coupon, order_id, now, customer, currency, subtotal)
            )
            if reply[0] == "error":
                raise HoldRefused(str(reply[1]), int(reply[2]), str(reply[3]))
            discount = int(reply[1])
        return Reserved(lines=priced, discount=discount, deal_units=deal_units)

    async def abort(self, fields: dict[str, str], now: int) -> str:
        """Give up an order still ``reserving`` (frees its Idempotency-Key); returns its status."""
        reply = await self._sync(keys=sync_keys(fields), args=["abort", now, fields["id"], ""])
        return str(reply[1])

    async def give_back(self, order_id: str, now: int) -> None:
        """Undo a new order its own request could not finish (a refused hold): abort it, give
        back every hold without a trace and delete it. If the sync sweep gave it up first,
        its holds are released as the sweep does."""
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        if not fields:
            return
        if fields["status"] != "reserving" or await self.abort(fields, now) != "aborted":
            await self.sync(order_id, now, give_up_reserving=True)
            return
        fields["status"] = "aborted"
        await self._release_all(fields, now, action="discard")
        await self._sync(keys=sync_keys(fields), args=["forget", now, order_id, ""])

    async def sync(self, order_id: str, now: int, *, give_up_reserving: bool = False) -> str:
        """Bring the order's holds in line with its status; returns the status synced to.

        ``give_up_reserving``: an order still ``reserving`` (its request vanished) is aborted
        first; without it such an order is left alone.
        """
        fields = cast(dict[str, str], await self._redis.hgetall(keys.order(order_id)))
        if not fields:
            await self._redis.zrem(keys.orders_sync(keys.order_bucket(order_id)), order_id)
            return ""
        status = fields["status"]
        if status == "reserving":
            if not give_up_reserving:
                return status
            status = await self.abort(fields, now)
        if status in RELEASED:
            await self._release_all(fields, now)
        elif status == "paid":
            await self._sell_all(fields, now)
        await self._sync(keys=sync_keys(fields), args=["done", now, order_id, status])
        return status

    async def _sell_all(self, fields: dict[str, str], now: int) -> None:
        lines = orjson.loads(fields["lines"])
        calls: list[ScriptCall] = [
            (self._stock, _stock_keys(bucket, fields["id"], group), _stock_args("sell", group))
            for bucket, group in _stock_groups(lines)
        ]
        calls.extend(self._count_sales(fields, "count", now))
        # Every hold follows the order on its own: one round trip for them all.
        await run_together(self._redis, calls)

    async def _release_all(self, fields: dict[str, str], now: int, action: str = "release") -> None:
        order_id, customer = fields["id"], fields["customer"]
        lines = orjson.loads(fields["lines"])
        calls: list[ScriptCall] = [
            (self._stock, _stock_keys(bucket, order_id, group), _stock_args(action, group))
            for bucket, group in _stock_groups(lines)
        ]
        deal_key = fields.get("deal_key", "")
        if deal_key:
            show_id = _show_of(fields)
            calls.append(
                (
                    self._deal,
                    [keys.show_state(show_id), deal_key, keys.deal_hold(deal_key, order_id)],
                    [action, now, customer, "", "", "", "", "[]", TOMBSTONE_MS],
                )
            )
        coupon = fields.get("coupon", "")
        if coupon:
            calls.append(
                (
                    self._coupon,
                    _coupon_keys(coupon, order_id),
                    [action, now, customer, "", 0, TOMBSTONE_MS],
                )
            )
        if action == "release":
            calls.extend(self._count_sales(fields, "uncount", now))
        await run_together(self._redis, calls)

    def _count_sales(self, fields: dict[str, str], action: str, now: int) -> list[ScriptCall]:
        """The call that counts (or uncounts) a show order's sales; none without a show."""
        show_id = _show_of(fields)
        if not show_id:
            return []
        return [
            (
                self._sales,
                [
                    keys.analytics_sales(show_id),
                    keys.analytics_sales_recent(show_id),
                    keys.sales_counted(show_id, fields["id"]),
                ],
                [
                    action,
                    now,
                    fields["id"],
                    fields.get("counted_sales") or "[]",
                    fields.get("currency", ""),
                    SALES_RECENT_KEEP_MS,
                ],
            )
        ]


# How long a paid unit stays in a show's recent sales (the sales velocity window's upper bound).
SALES_RECENT_KEEP_MS = 10 * 60_000


# Functions the deal and coupon hold scripts share, put before their source.
HOLD_LIB = ("livebuy.commerce", "hold_lib")


def _register_with_hold_lib(redis: Redis, name: str) -> AsyncScript:
    """``<name>.lua`` of livebuy.commerce with ``hold_lib.lua`` defined before it."""
    return Script(redis, lua_source(*HOLD_LIB) + lua_source("livebuy.commerce", name))


def _by_stock_bucket(
    lines: list[dict[str, Any]],
) -> list[tuple[int, list[tuple[int, dict[str, Any]]]]]:
    """The lines (with their index) grouped by their SKU's stock bucket, buckets in order."""
    indexed = sorted(enumerate(lines), key=lambda item: keys.stock_bucket(item[1]["sku"]))
    return [
        (bucket, list(group))
        for bucket, group in itertools.groupby(
            indexed, key=lambda item: keys.stock_bucket(item[1]["sku"])
        )
    ]


def _stock_groups(lines: list[dict[str, Any]]) -> list[tuple[int, list[dict[str, Any]]]]:
    """The lines grouped by their SKU's stock bucket, buckets in order."""
    return [(bucket, [line for _, line in indexed]) for bucket, indexed in _by_stock_bucket(lines)]


# A hold step's KEYS and ARGV.
StepCall = tuple[list[str], list[Any]]


def stock_reserves(
    order_id: str, lines: list[dict[str, Any]]
) -> list[tuple[list[tuple[int, dict[str, Any]]], list[str], list[Any]]]:
    """The stock reserves of a new order, bucket by bucket: each bucket's lines (with their
    index in the order), then the step's KEYS and ARGV."""
    reserves = []
    for bucket, indexed in _by_stock_bucket(lines):
        group = [line for _, line in indexed]
        reserves.append(
            (indexed, _stock_keys(bucket, order_id, group), _stock_args("reserve", group))
        )
    return reserves


def deal_reserve(
    deal: DealCheck, order_id: str, now: int, customer: str, lines: list[dict[str, Any]]
) -> StepCall:
    """The deal reserve of a new order: KEYS and ARGV of ``deal_hold.lua``."""
    return (
        [deal.state_key, deal.counters_key, keys.deal_hold(deal.counters_key, order_id)],
        [
            "reserve",
            now,
            customer,
            deal.deal_id,
            str(deal.started_at),
            deal.state_field,
            deal.lottery_field,
            orjson.dumps(lines).decode(),
            TOMBSTONE_MS,
        ],
    )


def coupon_reserve(
    coupon: str, order_id: str, now: int, customer: str, currency: str, subtotal: int
) -> StepCall:
    """The coupon reserve of a new order: KEYS and ARGV of ``coupon_hold.lua``."""
    return (
        _coupon_keys(coupon, order_id),
        ["reserve", now, customer, currency, subtotal, TOMBSTONE_MS],
    )


def _coupon_keys(coupon: str, order_id: str) -> list[str]:
    return [keys.coupon(coupon), keys.coupon_uses(coupon), keys.coupon_hold(coupon, order_id)]


def _stock_keys(bucket: int, order_id: str, lines: list[dict[str, Any]]) -> list[str]:
    pairs = [
        (keys.inventory(line["sku"]), keys.stock_hold(line["sku"], order_id)) for line in lines
    ]
    return [keys.stock_dirty(bucket), *(key for pair in pairs for key in pair)]


def _stock_args(action: str, lines: list[dict[str, Any]]) -> list[Any]:
    return [
        action,
        orjson.dumps([int(line["quantity"]) for line in lines]).decode(),
        orjson.dumps([line["product_id"] for line in lines]).decode(),
        TOMBSTONE_MS,
    ]


def sync_keys(fields: dict[str, str]) -> list[str]:
    """KEYS of ``order_sync.lua`` for an order's ``fields`` (its id, customer and key)."""
    bucket = keys.order_bucket(fields["id"])
    idem = keys.order_idempotency(fields["customer"], fields.get("idempotency_key", ""))
    return [keys.order(fields["id"]), idem, keys.orders_sync(bucket)]
