"""Closing auctions on time and settling them: the winner's order, reserved and charged.

One process (lease-elected) runs ``AuctionCloser.loop``. Each pass closes every open auction whose
clock ran out (``auction_step.lua`` judges by the server clock) and takes the next step of every
auction that is settling:

``closed`` → an order for the winner at the winning price (``order_create.lua`` reserves the unit)
and a charge of the winner's saved card (``OrderService.pay``) → ``sold``; or, if the charge
fails, ``payment_failed`` for ``payment_hold_ms`` (the winner may still pay the order). Then, if
it is still unpaid, the order is cancelled (the unit goes back) and the next-highest bidder is
charged their own highest bid, and so on; nobody left: ``unsold``.

Every step is idempotent: the order's Idempotency-Key is the auction run and the bidder, a paid
order is recognised before charging again, and the status change is conditional in Lua.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.commerce.order_scripts import OrderScripts
from livebuy.commerce.orders import OrderService
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import (
    OrderNotFoundError,
    OrderStateError,
    OutOfStockError,
    PaymentDeclinedError,
    PaymentTimeoutError,
    SkuNotFoundError,
)
from livebuy.games.auctions.payment_methods import PaymentMethods
from livebuy.games.auctions.scripts import AuctionScripts
from livebuy.redis import keys
from livebuy.redis.lease import Lease

log = logging.getLogger(__name__)

# With nothing due, the closer sleeps until the earliest close it knows of, at most this long: an
# auction opened by another process is seen within it (one opened here wakes the closer at once).
IDLE_MAX_S = 1.0


class AuctionSettler:
    """Closes due auctions and settles closed ones (called by the elected ``AuctionCloser``)."""

    def __init__(
        self,
        redis: Redis,
        scripts: AuctionScripts,
        skus: SkuDirectory,
        orders: OrderService,
        methods: PaymentMethods,
        *,
        payment_hold_ms: int,
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._skus = skus
        self._orders = orders
        self._order_scripts = OrderScripts(redis)
        self._methods = methods
        self._hold_ms = payment_hold_ms

    async def close(self, show_id: str, auction_id: str) -> str:
        """Close the auction if its clock ran out; returns its status (``open``: not yet)."""
        reply = await self._scripts.close(show_id, auction_id)
        return reply.word if reply.word != "noop" else str(reply.values[0])

    async def settle(self, show_id: str, auction_id: str, now: int) -> str:
        """The next step of a closed auction's settling; returns the status it left."""
        auction = cast(dict[str, str], await self._redis.hgetall(keys.auction(show_id, auction_id)))
        status = auction.get("status")
        if status == "closed":
            return await self._offer(
                show_id, auction, "closed", auction["winner"], int(auction["winner_price"]), now
            )
        if status != "payment_failed":
            await self._redis.zrem(keys.auctions_settling(show_id), auction_id)
            return str(status)
        candidate, order_id = auction["candidate"], auction["order_id"]
        if order_id and await self._paid(candidate, order_id):
            return await self._step(show_id, auction, "payment_failed", "sold", {}, None)
        if order_id:
            try:
                await self._orders.cancel(candidate, order_id)
            except (OrderStateError, OrderNotFoundError):
                # Expired meanwhile (the unit is back already), or paid at this very moment.
                if await self._paid(candidate, order_id):
                    return await self._step(show_id, auction, "payment_failed", "sold", {}, None)
        runner_up = await self._runner_up(show_id, auction)
        if runner_up is None:
            fields = {"reason": "payment_failed"}
            return await self._step(show_id, auction, "payment_failed", "unsold", fields, None)
        bidder, price = runner_up
        return await self._offer(show_id, auction, "payment_failed", bidder, price, now)

    async def _offer(
        self,
        show_id: str,
        auction: dict[str, str],
        expected: str,
        bidder: str,
        price: int,
        now: int,
    ) -> str:
        """Create the bidder's order at ``price`` and charge their saved card."""
        bidders = await self._bidders(show_id, auction["auction_id"])
        record = bidders.get(bidder, {})
        tried = [*orjson.loads(auction.get("tried") or "[]"), bidder]
        fields: dict[str, Any] = {
            "candidate": bidder,
            "price": price,
            "leader_handle": record.get("handle", ""),
            "leader_name": record.get("name", ""),
            "tried": orjson.dumps(tried).decode(),
            "order_id": "",
            "reason": "" if len(tried) == 1 else "second_chance",
        }
        try:
            order_id = await self._order(show_id, auction, bidder, price, now)
        except (OutOfStockError, SkuNotFoundError):
            fields["reason"] = "out_of_stock"
            return await self._step(show_id, auction, expected, "unsold", fields, None)
        fields["order_id"] = order_id
        if await self._charge(bidder, order_id):
            return await self._step(show_id, auction, expected, "sold", fields, None)
        fields["reason"] = "payment_failed"
        next_at = now + self._hold_ms
        return await self._step(show_id, auction, expected, "payment_failed", fields, next_at)

    async def _order(
        self, show_id: str, auction: dict[str, str], bidder: str, price: int, now: int
    ) -> str:
        info = await self._skus.get(auction["sku"])
        policy = self._orders.policy
        # One order per auction run and bidder, whichever closer process gets here (or again).
        key = f"auction:{show_id}:{auction['auction_id']}:{auction['started_at']}"
        line = {
            "sku": info.sku,
            "product_id": info.product_id,
            "name": info.name,
            "quantity": 1,
            "unit_price": price,
            "currency": auction["currency"],
        }
        created = await self._order_scripts.create(
            now=now,
            customer=bidder,
            idempotency_key=key,
            body_hash=hashlib.sha256(orjson.dumps(line)).hexdigest(),
            hold_ms=max(policy.hold_ms, self._hold_ms),
            idempotency_ttl_ms=policy.idempotency_ttl_ms,
            lines=[line],
            show_id=show_id,
            deal=None,
            coupon=None,
            from_cart=False,
        )
        return created.order_id

    async def _charge(self, bidder: str, order_id: str) -> bool:
        if await self._paid(bidder, order_id):
            return True
        card = await self._methods.get(bidder)
        if card is None:
            return False
        try:
            await self._orders.pay(bidder, order_id, card)
        except (PaymentDeclinedError, PaymentTimeoutError, OrderStateError) as error:
            log.info("auction charge failed", extra={"order_id": order_id, "code": error.code})
            return await self._paid(bidder, order_id)
        return True

    async def _paid(self, bidder: str, order_id: str) -> bool:
        try:
            return (await self._orders.get(bidder, order_id)).status == "paid"
        except OrderNotFoundError:
            return False

    async def _bidders(self, show_id: str, auction_id: str) -> dict[str, dict[str, Any]]:
        raw = cast(
            dict[str, str], await self._redis.hgetall(keys.auction_bidders(show_id, auction_id))
        )
        return {bidder: orjson.loads(record) for bidder, record in raw.items()}

    async def _runner_up(self, show_id: str, auction: dict[str, str]) -> tuple[str, int] | None:
        """The highest ceiling not tried yet (ties: the earlier one), and that ceiling."""
        tried = set(orjson.loads(auction.get("tried") or "[]"))
        bidders = await self._bidders(show_id, auction["auction_id"])
        left = [(-record["max"], record["order"], bidder) for bidder, record in bidders.items()]
        left = [entry for entry in sorted(left) if entry[2] not in tried]
        if not left:
            return None
        ceiling, _, bidder = left[0]
        return bidder, -ceiling

    async def _step(
        self,
        show_id: str,
        auction: dict[str, str],
        expected: str,
        status: str,
        fields: dict[str, Any],
        next_at: int | None,
    ) -> str:
        reply = await self._scripts.settle(
            show_id,
            auction["auction_id"],
            expected=expected,
            status=status,
            fields=fields,
            next_at=next_at,
        )
        return status if reply.word != "noop" else str(reply.values[0])


class AuctionCloser:
    """The elected loop: every ``tick_ms``, close what ran out and settle what is due."""

    def __init__(
        self,
        redis: Redis,
        settler: AuctionSettler,
        *,
        tick_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self._redis = redis
        self._settler = settler
        self._clock = clock
        # Seconds from the last pass to the earliest close or settle it saw (None: work was due).
        self._rest_s: float | None = None
        self.loop = ElectedLoop(
            "auction-closer",
            Lease(redis, keys.auction_closer_lease(), lease_ms),
            self.step,
            tick_ms / 1000,
            idle=lambda: self._rest_s,
            max_idle_s=IDLE_MAX_S,
            clock=clock,
        )

    async def step(self) -> None:
        """One pass over every show's due auctions."""
        now = self._clock()
        show_ids = sorted(cast(set[str], await self._redis.smembers(keys.shows_index())))
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id in show_ids:
                await pipe.zrangebyscore(keys.auctions_open(show_id), "-inf", now)
                await pipe.zrangebyscore(keys.auctions_settling(show_id), "-inf", now)
                await pipe.zrange(keys.auctions_open(show_id), 0, 0, withscores=True)
                await pipe.zrange(keys.auctions_settling(show_id), 0, 0, withscores=True)
            due = await pipe.execute()
        rows = [due[4 * index : 4 * index + 4] for index in range(len(show_ids))]
        nothing_due = not any(closing or settling for closing, settling, _, _ in rows)
        firsts = [
            float(first[0][1])
            for *_, open_first, settle_first in rows
            for first in (open_first, settle_first)
            if first
        ]
        self._rest_s = (min(firsts, default=float("inf")) - now) / 1000 if nothing_due else None
        for show_id, (closing, settling, _, _) in zip(show_ids, rows, strict=True):
            for auction_id in closing:
                await self._settler.close(show_id, auction_id)
            for auction_id in settling:
                await self._settler.settle(show_id, auction_id, now)
