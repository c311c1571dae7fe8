"""Lottery drops as a service: open a deal's entry window with a committed seed, take entries,
answer a viewer's standing and publish the draw. Drawing and the waitlist are in ``closer.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.clock import Clock, now_ms
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import (
    DealNotFoundError,
    DealNotLotteryError,
    DropClosedError,
    InvalidInputError,
    refusal,
)
from livebuy.events.state import running_deal
from livebuy.games.draw import DrawProof, commitment, new_seed
from livebuy.games.drops.models import DrawDocument, EntryResult, MyEntry
from livebuy.games.drops.scripts import (
    DROP_CLOSE,
    DROP_ENTER,
    DROP_OPEN,
    CloseArgs,
    CloseKeys,
    EnterArgs,
    EnterKeys,
    OpenArgs,
    OpenKeys,
)
from livebuy.redis import keys
from livebuy.sessions.models import Session
from livebuy.settings import Settings
from livebuy.shows.models import DealStartCue
from livebuy.shows.state import ends_at

# A run's keys outlive any show: a day is plenty to pay, verify and look the result up.
DROP_TTL_MS = 24 * 3600 * 1000


def due_member(show_id: str, deal_id: str, started_at: int) -> str:
    """The run's member in the global due index (show and deal ids have no ``|``)."""
    return f"{show_id}|{deal_id}|{started_at}"


def parse_member(member: str) -> tuple[str, str, int]:
    """``(show_id, deal_id, started_at)`` of a due index member."""
    show_id, deal_id, started_at = member.split("|", 2)
    return show_id, deal_id, int(started_at)


def draw_url(show_id: str, deal_id: str) -> str:
    """Where a lottery deal's draw is published (``GET``; what ``livebuy verify-draw`` reads)."""
    return f"/api/shows/{show_id}/deals/{deal_id}/draw"


class DropService:
    """Opens lottery deals (for the show's cue) and takes their entries, on any process."""

    def __init__(
        self, redis: Redis, skus: SkuDirectory, settings: Settings, clock: Clock = now_ms
    ) -> None:
        self._redis = redis
        self._skus = skus
        self._settings = settings.drops
        self._clock = clock
        self._open = DROP_OPEN.bind(redis)
        self._enter = DROP_ENTER.bind(redis)
        self._close = DROP_CLOSE.bind(redis)
        # Called when a run falls due sooner (the app wakes the drop closer from its idle rest).
        self.scheduled: list[Callable[[], None]] = []

    def _notify_scheduled(self) -> None:
        for listener in self.scheduled:
            listener()

    async def open(
        self, show_id: str, cue: DealStartCue, at_ms: int, speed: float
    ) -> dict[str, Any]:
        """Open the lottery of a deal cue playing at ``at_ms``: the fields its cue adds.

        The window runs on the server clock from ``at_ms`` (at the rehearsal speed); entries
        count until ``entries_close_at`` plus the grace, then the closer draws.
        """
        window = cue.entry_window_ms or self._settings.drop_entry_window_ms
        pay_hold_ms = cue.pay_hold_ms or self._settings.drop_pay_hold_ms
        close = ends_at(at_ms, window, speed)
        draw_at = close + self._settings.drop_entry_grace_ms
        seed = new_seed()
        stored = await self._open(
            OpenKeys(drop=keys.drop(show_id, cue.deal_id, at_ms)),
            OpenArgs(
                deal_id=cue.deal_id,
                started_at=at_ms,
                entries_close_at=close,
                draw_at=draw_at,
                seed=seed.hex(),
                seed_hash=commitment(seed),
                units=cue.units,
                per_customer_limit=cue.per_customer_limit,
                pay_hold_ms=pay_hold_ms,
                waitlist_max=self._settings.drop_waitlist_max,
                product_id=cue.product_id,
                ttl_ms=DROP_TTL_MS,
            ),
        )
        await self._redis.zadd(
            keys.drops_due(), {due_member(show_id, cue.deal_id, at_ms): draw_at}, nx=True
        )
        self._notify_scheduled()
        return {
            "entry_window_ms": window,
            "pay_hold_ms": int(stored[2]),
            "entries_close_at": int(stored[1]),
            "seed_hash": str(stored[0]),
        }

    async def _lottery(self, show_id: str, deal_id: str) -> dict[str, Any]:
        """The deal as last started, if it is a lottery deal.

        Raises:
            DealNotFoundError: no such deal in the show (or it ended).
            DealNotLotteryError: a first-come deal.
        """
        deal = await running_deal(self._redis, show_id, deal_id)
        if deal is None:
            raise DealNotFoundError(f"unknown deal '{deal_id}'", deal_id=deal_id)
        if deal.get("mode") != "lottery":
            raise DealNotLotteryError(
                f"deal '{deal_id}' is first-come: order it instead", deal_id=deal_id
            )
        return deal

    async def enter(
        self, show_id: str, deal_id: str, session: Session, sku: str | None
    ) -> tuple[EntryResult, bool]:
        """Enter ``session`` in the deal's draw; returns the answer and whether it is new.

        Raises:
            DealNotFoundError, DealNotLotteryError: see ``_lottery``.
            InvalidInputError: ``sku`` is not one of the deal's product.
            DropClosedError: the window is not open.
            SessionTooNewError: the session was created after the deal was announced (when
                ``LIVEBUY_DROP_EXCLUDE_NEW_SESSIONS`` is on).
        """
        deal = await self._lottery(show_id, deal_id)
        if sku is not None and sku not in await self._skus.product_skus(deal["product_id"]):
            raise InvalidInputError(
                f"'{sku}' is not a SKU of {deal['product_id']}", field="sku", sku=sku
            )
        started_at = int(deal["started_at"])
        reply = await self._enter(
            EnterKeys(
                drop=keys.drop(show_id, deal_id, started_at),
                entries=keys.drop_entries(show_id, deal_id, started_at),
                choices=keys.drop_choices(show_id, deal_id, started_at),
            ),
            EnterArgs(
                session_id=session.session_id,
                handle=session.handle,
                sku=sku or "",
                now=self._clock(),
                session_created_at=session.created_at,
                exclude_new="1" if self._settings.drop_exclude_new_sessions else "0",
                ttl_ms=DROP_TTL_MS,
            ),
        )
        close = int(deal["entries_close_at"])
        if reply[0] == "error":
            code = str(reply[1])
            if code == "deal_not_active":
                raise DropClosedError(
                    f"entries to deal '{deal_id}' are closed",
                    deal_id=deal_id,
                    entries_close_at=close,
                )
            messages = {
                "unknown_deal": f"unknown deal '{deal_id}'",
                "session_too_new": "this draw is for viewers who were here when it was announced",
            }
            raise refusal(code, messages[code], deal_id=deal_id)
        return EntryResult(deal_id=deal_id, entries_close_at=close), bool(int(reply[1]))

    async def close_now(self, show_id: str, deal_id: str) -> DrawDocument:
        """The producer ends the entry window now; the elected closer draws on its next pass.

        Raises:
            DealNotFoundError, DealNotLotteryError: see ``_lottery``.
            DropClosedError: entries are closed already.
        """
        deal = await self._lottery(show_id, deal_id)
        started_at = int(deal["started_at"])
        now = self._clock()
        reply = await self._close(
            CloseKeys(drop=keys.drop(show_id, deal_id, started_at)), CloseArgs(now)
        )
        if reply[0] == "error":
            raise DropClosedError(
                f"entries to deal '{deal_id}' are closed already",
                deal_id=deal_id,
                entries_close_at=int(deal["entries_close_at"]),
            )
        await self._redis.zadd(keys.drops_due(), {due_member(show_id, deal_id, started_at): now})
        self._notify_scheduled()
        return await self.document(show_id, deal_id)

    async def mine(self, show_id: str, deal_id: str, session: Session) -> MyEntry:
        """The session's standing in the deal's current run.

        Raises:
            DealNotFoundError, DealNotLotteryError: see ``_lottery``.
        """
        deal = await self._lottery(show_id, deal_id)
        started_at = int(deal["started_at"])
        sid = session.session_id
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.hget(keys.drop(show_id, deal_id, started_at), "status")
            await pipe.hexists(keys.drop_entries(show_id, deal_id, started_at), sid)
            await pipe.hget(keys.drop_ranks(show_id, deal_id, started_at), sid)
            await pipe.hget(keys.drop_grants(show_id, deal_id, started_at), sid)
            await pipe.zscore(keys.drop_holds(show_id, deal_id, started_at), sid)
            status, entered, rank, order_id, holding = await pipe.execute()
        mine = MyEntry(
            deal_id=deal_id, status="entered", entries_close_at=int(deal["entries_close_at"])
        )
        if not entered:
            mine.status = "not_entered"
            return mine
        if status != "drawn":
            return mine
        if rank is None or order_id == "":
            mine.status = "lost"
            mine.reason = None if rank is None else "no_stock"
            return mine
        if order_id is not None:
            order_status, expires_at = cast(
                list[str | None],
                await self._redis.hmget(keys.order(order_id), ["status", "expires_at"]),
            )
            if order_status in ("pending_payment", "paid"):
                mine.status = "won"
                mine.order_id = order_id
                pending = order_status == "pending_payment"
                mine.pay_by = int(expires_at) if pending and expires_at else None
            else:
                mine.status = "lost"
                mine.reason = order_status or "expired"
            return mine
        if holding is not None:
            # Drawn to hold a unit (a winner, or promoted): its order is being made right now,
            # and the answer stays "entered" until it exists, never a wrong "waitlisted".
            return mine
        # Drawn on the waitlist.
        ended = deal["ends_at"] is not None and self._clock() >= int(deal["ends_at"])
        mine.status = "lost" if ended else "waitlisted"
        return mine

    async def document(self, show_id: str, deal_id: str) -> DrawDocument:
        """The deal's draw: the commitment, and once drawn the proof (entries and draw order).

        Raises:
            DealNotFoundError, DealNotLotteryError: see ``_lottery``.
        """
        deal = await self._lottery(show_id, deal_id)
        started_at = int(deal["started_at"])
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.hgetall(keys.drop(show_id, deal_id, started_at))
            await pipe.hgetall(keys.drop_entries(show_id, deal_id, started_at))
            await pipe.lrange(keys.drop_order(show_id, deal_id, started_at), 0, -1)
            fields, entries, order = await pipe.execute()
        if not fields:
            raise DealNotFoundError(f"unknown deal '{deal_id}'", deal_id=deal_id)
        entries = cast(dict[str, str], entries)
        document = DrawDocument.model_validate(
            {
                "deal_id": deal_id,
                "started_at": started_at,
                "status": fields["status"],
                "commitment": fields["seed_hash"],
                "seed_hash": fields["seed_hash"],
                "entries_close_at": int(fields["entries_close_at"]),
                "entries": len(entries),
            }
        )
        if fields["status"] != "drawn":
            return document
        winner_count = int(fields["winner_count"])
        drawn = [entries[session_id] for session_id in order]
        document.winner_count = winner_count
        document.waitlisted = len(drawn) - winner_count
        document.proof = DrawProof(
            commitment=fields["seed_hash"],
            seed=fields["seed"],
            entries_hash=fields["entries_hash"],
            winner_count=len(drawn),
            entries=sorted(entries.values(), key=lambda handle: handle.encode()),
            winners=drawn,
        )
        return document


def winners_of(fields: dict[str, str]) -> list[str]:
    """The winners' handles a drawn run's hash keeps (for the ``deal_drawn`` frame)."""
    return cast(list[str], orjson.loads(fields.get("winners") or "[]"))
