"""Drawing lottery deals on time and moving their waitlists, on one process (lease-elected).

Each pass looks at every drop run in the due index whose time has come:

``entries`` past its window and grace → freeze the entries (``drop_freeze.lua``), draw the order
(``games/draw.py``: winners up to the units, then up to ``drop_waitlist_max`` on the waitlist,
the rest lose) and write it (``drop_settle.lua``). Every holder (a winner, or a promoted entry)
then gets a reserved order at the deal price through the ordinary order step
(``order_create.lua``: the deal's counters and the stock are checked and taken there, one unit
per holder), held ``pay_hold_ms``. Only then is ``deal_drawn`` appended: a viewer who asks on
the frame already finds their order.

A holder's order is looked at when its hold ends, or at once when the order service reports it
cancelled or expired (``on_release``): paid, it stays won; released, ``drop_release.lua`` hands
the unit to the next session of the waitlist (``deal_promoted``); with the waitlist over the
state's lottery phase becomes ``first_come`` and ``POST /api/orders`` sells what is left.

Every step is idempotent: the holder's order has one Idempotency-Key per run and session, a
settled draw is not written twice, frames are de-duplicated, and the state's lottery phase is
brought in line with the run's hash on every pass (a closer that died mid-way is caught up).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.background import ElectedLoop
from livebuy.clock import Clock, now_ms
from livebuy.commerce.deals import DealBook
from livebuy.commerce.order_scripts import DealCheck, OrderScripts
from livebuy.commerce.orders import OrderPolicy
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import CommerceError, OutOfStockError, SkuNotFoundError
from livebuy.events import state
from livebuy.events.models import DealDrawnEvent, DealPromotedEvent
from livebuy.events.state import deal_location, deal_lottery, running_deal
from livebuy.events.stream import ShowStream
from livebuy.games.draw import DrawProof
from livebuy.games.drops.scripts import (
    DROP_FREEZE,
    DROP_HOLD,
    DROP_RELEASE,
    DROP_SETTLE,
    FreezeArgs,
    FreezeKeys,
    HoldArgs,
    HoldKeys,
    ReleaseArgs,
    ReleaseKeys,
    SettleArgs,
    SettleKeys,
)
from livebuy.games.drops.service import DROP_TTL_MS, draw_url, due_member, parse_member
from livebuy.redis import keys
from livebuy.redis.lease import Lease

log = logging.getLogger(__name__)

# With nothing due, the closer sleeps until the earliest run due, at most this long: a run that
# another process opens or closes early is seen within it (one of this process wakes it at once).
IDLE_MAX_S = 1.0

# Holders looked at per run per pass: a pass stays short; the rest are due on the next one.
HOLDERS_PER_PASS = 1000
# An unpaid order past its hold that the sweeper has not expired yet is looked at this often.
RELOOK_MS = 1000


class _Run:
    """One lottery deal run's keys."""

    def __init__(self, show_id: str, deal_id: str, started_at: int) -> None:
        self.show_id = show_id
        self.deal_id = deal_id
        self.started_at = started_at
        self.member = due_member(show_id, deal_id, started_at)
        self.drop = keys.drop(show_id, deal_id, started_at)
        self.entries = keys.drop_entries(show_id, deal_id, started_at)
        self.choices = keys.drop_choices(show_id, deal_id, started_at)
        self.order = keys.drop_order(show_id, deal_id, started_at)
        self.ranks = keys.drop_ranks(show_id, deal_id, started_at)
        self.holds = keys.drop_holds(show_id, deal_id, started_at)
        self.grants = keys.drop_grants(show_id, deal_id, started_at)


class DropCloser:
    """Draws due drops and moves their waitlists; ``loop`` is the elected background loop."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        skus: SkuDirectory,
        policy: OrderPolicy,
        *,
        tick_ms: int,
        lease_ms: int,
        clock: Clock = now_ms,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._skus = skus
        self._policy = policy
        self._deals = DealBook(redis)
        self._orders = OrderScripts(redis)
        self._clock = clock
        self._freeze = DROP_FREEZE.bind(redis)
        self._settle = DROP_SETTLE.bind(redis)
        self._hold = DROP_HOLD.bind(redis)
        self._release = DROP_RELEASE.bind(redis)
        self.loop = ElectedLoop(
            "drops",
            Lease(redis, keys.drops_lease(), lease_ms),
            self.step,
            tick_ms / 1000,
            idle=lambda: self._rest_s,
            max_idle_s=IDLE_MAX_S,
            clock=clock,
        )
        # Seconds from the last pass to the earliest run due (None: it is due already).
        self._rest_s: float | None = None

    async def step(self) -> None:
        """One pass over every drop run whose time has come."""
        now = self._clock()
        members = cast(list[str], await self._redis.zrangebyscore(keys.drops_due(), "-inf", now))
        for member in members:
            await self.advance(*parse_member(member), now)
        # Read after the pass: it rescheduled the runs it advanced.
        first = await self._redis.zrange(keys.drops_due(), 0, 0, withscores=True)
        rest_s = (float(first[0][1]) - now) / 1000 if first else float("inf")
        self._rest_s = None if members or rest_s <= 0 else rest_s

    async def advance(self, show_id: str, deal_id: str, started_at: int, now: int) -> None:
        """Draw the run if due, settle its due holders, publish what changed, reschedule."""
        run = _Run(show_id, deal_id, started_at)
        fields = cast(dict[str, str], await self._redis.hgetall(run.drop))
        if not fields:
            await self._redis.zrem(keys.drops_due(), run.member)
            return
        if fields["status"] in ("entries", "drawing"):
            if now < int(fields["draw_at"]):
                await self._redis.zadd(keys.drops_due(), {run.member: int(fields["draw_at"])})
                return
            await self._draw(run, fields, now)
            fields = cast(dict[str, str], await self._redis.hgetall(run.drop))
        if fields.get("status") != "drawn":
            return
        promoted = await self._settle_holders(run, fields, now)
        await self._publish(run, promoted)
        await self._reschedule(run, now)

    async def _draw(self, run: _Run, fields: dict[str, str], now: int) -> None:
        reply = await self._freeze(FreezeKeys(drop=run.drop, entries=run.entries), FreezeArgs(now))
        if reply[0] != "ok":
            return
        pairs = reply[2:]
        handles = {str(pairs[i + 1]): str(pairs[i]) for i in range(0, len(pairs), 2)}
        units = int(fields["units"])
        drawn_count = min(len(handles), units + int(fields["waitlist_max"]))
        proof = DrawProof.make(bytes.fromhex(str(reply[1])), handles, drawn_count)
        winners = proof.winners[:units]
        await self._settle(
            SettleKeys(drop=run.drop, order=run.order, ranks=run.ranks, holds=run.holds),
            SettleArgs(
                entries_hash=proof.entries_hash,
                winners=orjson.dumps(winners).decode(),
                winner_count=len(winners),
                entry_count=len(handles),
                ttl_ms=DROP_TTL_MS,
                drawn=tuple(handles[handle] for handle in proof.winners),
            ),
        )

    async def _settle_holders(self, run: _Run, fields: dict[str, str], now: int) -> list[str]:
        """Look at every holder due by ``now``; the sessions promoted (with an order) meanwhile."""
        promoted: list[str] = []
        due = cast(
            list[str],
            await self._redis.zrangebyscore(run.holds, "-inf", now, start=0, num=HOLDERS_PER_PASS),
        )
        pending = list(reversed(due))
        while pending:
            session_id = pending.pop()
            following = await self._look(run, fields, session_id, now)
            if following:
                pending.append(following)
                promoted.append(following)
        return promoted

    async def _look(
        self, run: _Run, fields: dict[str, str], session_id: str, now: int
    ) -> str | None:
        """Give the holder an order or look at it; the session promoted if its unit moved on."""
        order_id = cast(str | None, await self._redis.hget(run.grants, session_id))
        if order_id is None:
            made = await self._grant(run, fields, session_id, now)
            if made is None:
                # The deal no longer runs: nobody else can be given a unit either.
                return await self._pass_on(run, session_id, stop=True)
            hold_ends = str(made[1]) if made[0] else str(now)
            await self._hold(
                HoldKeys(drop=run.drop, holds=run.holds, grants=run.grants),
                HoldArgs(session_id, made[0], hold_ends, DROP_TTL_MS),
            )
            return None if made[0] else await self._pass_on(run, session_id, stop=False)
        if order_id == "":
            return await self._pass_on(run, session_id, stop=False)
        status, expires_at = cast(
            list[str | None],
            await self._redis.hmget(keys.order(order_id), ["status", "expires_at"]),
        )
        if status == "paid":
            look_at = "+inf"
        elif status == "pending_payment":
            look_at = str(max(int(expires_at or 0), now + RELOOK_MS))
        else:
            return await self._pass_on(run, session_id, stop=False)
        await self._hold(
            HoldKeys(drop=run.drop, holds=run.holds, grants=run.grants),
            HoldArgs(session_id, "-", look_at, DROP_TTL_MS),
        )
        return None

    async def _pass_on(self, run: _Run, session_id: str, *, stop: bool) -> str | None:
        reply = await self._release(
            ReleaseKeys(drop=run.drop, order=run.order, holds=run.holds),
            ReleaseArgs(session_id, "1" if stop else "0"),
        )
        if reply[0] != "ok" or not reply[1]:
            return None
        return str(reply[1])

    async def _grant(
        self, run: _Run, fields: dict[str, str], session_id: str, now: int
    ) -> tuple[str, int] | None:
        """A reserved order of one unit at the deal price: ``(order_id, expires_at)``, ``("", 0)``
        when none could be made (no stock of the variant), ``None`` when the deal has ended."""
        deal = await self._deals.get(run.show_id, run.deal_id)
        if deal is None or deal.started_at != run.started_at or not deal.running(now):
            return None
        chosen = cast(str | None, await self._redis.hget(run.choices, session_id))
        skus = [chosen] if chosen else await self._skus.product_skus(deal.product_id)
        state_key, state_field = deal_location(run.show_id, run.deal_id)
        check = DealCheck(
            deal_id=run.deal_id,
            state_key=state_key,
            state_field=state_field,
            started_at=run.started_at,
            counters_key=deal.counters_key(),
        )
        for sku in skus:
            try:
                info = await self._skus.get(sku)
            except SkuNotFoundError:
                continue
            line: dict[str, Any] = {
                "sku": info.sku,
                "product_id": info.product_id,
                "name": info.name,
                "quantity": 1,
                "unit_price": info.price.amount,
                "currency": info.price.currency,
            }
            try:
                created = await self._orders.create(
                    now=now,
                    customer=session_id,
                    # One order per run and session, whichever closer gets here (or again).
                    idempotency_key=f"drop:{run.show_id}:{run.deal_id}:{run.started_at}",
                    body_hash=hashlib.sha256(orjson.dumps(line)).hexdigest(),
                    hold_ms=int(fields["pay_hold_ms"]),
                    idempotency_ttl_ms=self._policy.idempotency_ttl_ms,
                    lines=[line],
                    show_id=run.show_id,
                    deal=check,
                    coupon=None,
                    from_cart=False,
                )
            except OutOfStockError:
                continue
            except CommerceError as error:
                log.info("drop order refused", extra={"session": session_id, "code": error.code})
                return "", 0
            expires_at = await self._redis.hget(keys.order(created.order_id), "expires_at")
            return created.order_id, int(expires_at or now)
        return "", 0

    async def _publish(self, run: _Run, promoted: list[str]) -> None:
        """Bring the state's lottery phase in line with the run: ``deal_drawn`` once, then a
        ``deal_promoted`` per promotion (and one when the waitlist runs out)."""
        lottery = await deal_lottery(self._redis, run.show_id, run.deal_id)
        if lottery is None or lottery["started_at"] != run.started_at:
            return  # the deal ended (or started again): nothing of this run is on screen
        fields = cast(dict[str, str], await self._redis.hgetall(run.drop))
        summary = _summary(run, fields)
        prefix = f"drop:{run.deal_id}:{run.started_at}"
        now = self._clock()
        if lottery["phase"] == "entries":
            event: DealDrawnEvent | DealPromotedEvent = DealDrawnEvent(
                deal_id=run.deal_id,
                started_at=run.started_at,
                entries=int(fields["entry_count"]),
                winners=orjson.loads(fields["winners"]),
                waitlisted=summary["waitlisted"],
                seed=fields["seed"],
                seed_hash=fields["seed_hash"],
                entries_hash=fields["entries_hash"],
                first_come=summary["phase"] == "first_come",
                proof_url=draw_url(run.show_id, run.deal_id),
            )
            ops = [state.set_lottery(run.deal_id, summary)]
            await self._stream.append(run.show_id, now, event, ops, dedupe_id=f"{prefix}:drawn")
            return
        handles = cast(
            list[str | None],
            await self._redis.hmget(run.entries, promoted) if promoted else [],
        )
        for session_id, handle in zip(promoted, handles, strict=True):
            granted = await self._redis.hget(run.grants, session_id)
            if not granted:
                continue
            event = DealPromotedEvent(
                deal_id=run.deal_id,
                started_at=run.started_at,
                handle=handle,
                waitlist_left=summary["waitlist_left"],
                first_come=summary["phase"] == "first_come",
            )
            ops = [state.set_lottery(run.deal_id, summary)]
            dedupe = f"{prefix}:promoted:{session_id}"
            await self._stream.append(run.show_id, now, event, ops, dedupe_id=dedupe)
        lottery = await deal_lottery(self._redis, run.show_id, run.deal_id)
        if lottery is not None and lottery["phase"] != summary["phase"]:
            event = DealPromotedEvent(
                deal_id=run.deal_id,
                started_at=run.started_at,
                handle=None,
                waitlist_left=0,
                first_come=summary["phase"] == "first_come",
            )
            ops = [state.set_lottery(run.deal_id, summary)]
            await self._stream.append(
                run.show_id, now, event, ops, dedupe_id=f"{prefix}:{summary['phase']}"
            )

    async def _reschedule(self, run: _Run, now: int) -> None:
        first = await self._redis.zrange(run.holds, 0, 0, withscores=True)
        if not first or first[0][1] == float("inf"):
            # Nobody holds an unpaid unit: only a cancellation (on_release) brings it back.
            await self._redis.zrem(keys.drops_due(), run.member)
        else:
            await self._redis.zadd(keys.drops_due(), {run.member: max(int(first[0][1]), now)})

    async def on_release(self, fields: dict[str, str]) -> None:
        """An order was cancelled or expired: if it was a lottery holder's, look at it now.

        Only a session still holding is looked at again (``XX``): one whose unit was already
        passed on is never passed on twice.
        """
        show_id, deal_id = fields.get("show_id"), fields.get("deal_id")
        if not show_id or not deal_id:
            return
        deal = await running_deal(self._redis, show_id, deal_id)
        if deal is None or deal.get("mode") != "lottery":
            return
        run = _Run(show_id, deal_id, int(deal["started_at"]))
        if await self._redis.hget(run.grants, fields["customer"]) != fields["id"]:
            return
        now = self._clock()
        await self._redis.zadd(run.holds, {fields["customer"]: now}, xx=True)
        if await self._redis.zscore(run.holds, fields["customer"]) is not None:
            await self._redis.zadd(keys.drops_due(), {run.member: now})
            self.loop.wake()


def _summary(run: _Run, fields: dict[str, str]) -> dict[str, Any]:
    """The state's lottery field for a drawn run: the phase and the draw's public result."""
    winner_count = int(fields["winner_count"])
    drawn = int(fields["drawn_count"])
    return {
        "deal_id": run.deal_id,
        "started_at": run.started_at,
        "phase": "first_come" if fields["first_come"] == "1" else "drawn",
        "entries_close_at": int(fields["entries_close_at"]),
        "entries": int(fields["entry_count"]),
        "winners": winner_count,
        "waitlisted": drawn - winner_count,
        "waitlist_left": drawn - int(fields["next"]),
        "seed_hash": fields["seed_hash"],
        "seed": fields["seed"],
        "entries_hash": fields["entries_hash"],
        "proof_url": draw_url(run.show_id, run.deal_id),
    }
