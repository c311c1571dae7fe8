"""Giveaways as a service: open with a commitment, enter, close with a verifiable draw, results."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.commerce.coupons import CouponService
from livebuy.commerce.models import Coupon
from livebuy.errors import GiveawayNotFoundError, GiveawayOpenError
from livebuy.events.models import GiveawayResultEvent
from livebuy.events.stream import ShowStream
from livebuy.games.draw import DrawProof, commitment, new_seed
from livebuy.games.giveaways.models import (
    EntryResult,
    GiveawayView,
    Grant,
    MyGiveaway,
)
from livebuy.games.giveaways.scripts import GiveawayScripts
from livebuy.games.report import GameReport
from livebuy.redis import keys
from livebuy.sessions.models import Session
from livebuy.settings import Settings
from livebuy.shows.models import GiveawayCue
from livebuy.shows.state import ends_at
from livebuy.wallet.service import WalletService

# The join snapshot carries the show's latest giveaways (open ones and the last results).
SNAPSHOT_GIVEAWAYS = 3
# "Has bought during the show" looks at this many of the session's latest orders.
PURCHASES_CHECKED = 20


def proof_url(show_id: str, giveaway_id: str) -> str:
    """Where the giveaway's proof is published (``GET``; what ``livebuy verify-draw`` reads)."""
    return f"/api/shows/{show_id}/giveaways/{giveaway_id}"


def due_member(show_id: str, giveaway_id: str) -> str:
    """The giveaway's member in the global due index (show ids and giveaway ids have no ``|``)."""
    return f"{show_id}|{giveaway_id}"


class GiveawayService:
    """Opens giveaways (for the show's cue), takes entries and closes them with a draw."""

    def __init__(
        self,
        redis: Redis,
        stream: ShowStream,
        coupons: CouponService,
        settings: Settings,
        wallet: WalletService,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._coupons = coupons
        self._wallet = wallet
        self._settings = settings
        self._scripts = GiveawayScripts(redis)

    async def open(
        self, show_id: str, cue: GiveawayCue, at_ms: int, speed: float
    ) -> dict[str, Any]:
        """Open the giveaway of a cue playing at ``at_ms``; the event's ``commitment``/``ends_at``.

        The entry window runs on the server clock from ``at_ms`` (at the rehearsal speed).
        """
        seed = new_seed()
        terms = cue.model_dump_json(exclude={"kind"})
        stored_commitment, stored_end = await self._scripts.open(
            show_id,
            cue.giveaway_id,
            terms=terms,
            seed=seed,
            commitment=commitment(seed),
            opened_at=at_ms,
            ends_at=ends_at(at_ms, cue.duration_ms, speed),
            require_chatted=cue.require_chatted,
            require_favourite=cue.require_favourite,
            require_purchase=cue.require_purchase,
        )
        await self._redis.zadd(
            keys.giveaways_due(), {due_member(show_id, cue.giveaway_id): stored_end}
        )
        return {"commitment": stored_commitment, "ends_at": stored_end}

    async def is_open(self, show_id: str, giveaway_id: str) -> bool:
        """Whether the giveaway is taking entries or being drawn."""
        status = await self._redis.hget(keys.giveaway(show_id, giveaway_id), "status")
        return status in ("open", "drawing")

    async def enter(self, show_id: str, giveaway_id: str, session: Session, ip: str) -> EntryResult:
        """Enter ``session`` (one entry per session, on any process).

        Raises:
            GiveawayNotFoundError, GiveawayClosedError, AlreadyEnteredError, NotEligibleError,
            EntryCapError: the refusal.
        """
        # Favourites and orders live in the customer's slots, not the show's: read before the
        # atomic step, and only when the giveaway asks. (A favourite removed in between still
        # counts: the rule is about having shown interest.)
        rules = await self._redis.hmget(
            keys.giveaway(show_id, giveaway_id), ["require_favourite", "require_purchase"]
        )
        has_favourite = rules[0] == "1" and bool(
            await self._redis.zcard(keys.favorites(session.session_id))
        )
        has_purchase = rules[1] == "1" and await self._bought_in_show(show_id, session)
        count = await self._scripts.enter(
            show_id,
            giveaway_id,
            session_id=session.session_id,
            handle=session.handle,
            ip=ip,
            now=now_ms(),
            presence_ms=self._settings.giveaways.giveaway_presence_ms,
            ip_cap=self._settings.giveaways.giveaway_ip_cap,
            session_created_at=session.created_at,
            min_age_ms=self._settings.giveaways.giveaway_min_session_age_ms,
            has_favourite=has_favourite,
            has_purchase=has_purchase,
        )
        return EntryResult(giveaway_id=giveaway_id, handle=session.handle, entries=count)

    async def _bought_in_show(self, show_id: str, session: Session) -> bool:
        """Whether one of the session's latest orders is paid and was bought from this show."""
        order_ids = await self._redis.zrevrange(
            keys.customer_orders(session.session_id), 0, PURCHASES_CHECKED - 1
        )
        async with self._redis.pipeline(transaction=False) as pipe:
            for order_id in order_ids:
                await pipe.hmget(keys.order(str(order_id)), ["show_id", "status"])
            orders = await pipe.execute()
        return any(order == [show_id, "paid"] for order in orders)

    async def close(self, show_id: str, giveaway_id: str, *, early: bool = False) -> bool:
        """Draw the giveaway if its window is over (or ``early``), pay and publish the result.

        Returns whether it is closed now. Safe to repeat and to race: the entries are frozen
        once, the results written once, the prizes paid once and the result event appended once.

        Raises:
            GiveawayNotFoundError: no such giveaway.
            GiveawayClosedError: it was closed already.
        """
        frozen = await self._scripts.freeze(show_id, giveaway_id, now_ms(), early=early)
        if frozen is None:
            return False
        terms = await self._terms(show_id, giveaway_id)
        proof = DrawProof.make(frozen.seed, frozen.entries.values(), terms["winners"])
        sessions = {handle: session for session, handle in frozen.entries.items()}
        grants = [
            await self._grant(show_id, giveaway_id, terms, frozen.seed, sessions[handle], handle)
            for handle in proof.winners
        ]
        await self._scripts.settle(
            show_id,
            giveaway_id,
            entries_hash=proof.entries_hash,
            winners=orjson.dumps(proof.winners).decode(),
            grants=orjson.dumps([grant.model_dump(mode="json") for grant in grants]).decode(),
            entry_count=len(proof.entries),
        )
        await self.finish(show_id, giveaway_id)
        return True

    async def finish(self, show_id: str, giveaway_id: str) -> None:
        """Pay a drawn giveaway's prizes, publish its result, then drop it from the due index.

        Every step is safe to repeat (credits are idempotent per ``(source, ref)``, a coupon is
        listed once, the result's append is de-duplicated), and the giveaway leaves the due index
        only after all of them: a closer that dies anywhere in between leaves it due, and the
        next tick (``GiveawayCloser``, which finishes a giveaway it finds closed) completes it.
        So prizes are paid exactly once, even on a crash between the draw and the payout.

        Raises:
            GiveawayNotFoundError: no such giveaway.
            GiveawayOpenError: not drawn yet.
        """
        fields = cast(
            dict[str, str], await self._redis.hgetall(keys.giveaway(show_id, giveaway_id))
        )
        if not fields:
            raise GiveawayNotFoundError(
                f"unknown giveaway '{giveaway_id}'", giveaway_id=giveaway_id
            )
        if fields["status"] != "closed":
            raise GiveawayOpenError(
                f"giveaway '{giveaway_id}' is not drawn yet", giveaway_id=giveaway_id
            )
        opened_at = fields["opened_at"]
        grants = [Grant.model_validate(grant) for grant in orjson.loads(fields["grants"])]
        await self._pay(f"{show_id}:{giveaway_id}:{opened_at}", grants)
        event = GiveawayResultEvent(
            giveaway_id=giveaway_id,
            commitment=fields["commitment"],
            seed=fields["seed"],
            entries_hash=fields["entries_hash"],
            entries=int(fields["entry_count"]),
            winners=orjson.loads(fields["winners"]),
            proof_url=proof_url(show_id, giveaway_id),
        )
        await self._stream.append(
            show_id, now_ms(), event, dedupe_id=f"giveaway:{giveaway_id}:{opened_at}:result"
        )
        await self._redis.zrem(keys.giveaways_due(), due_member(show_id, giveaway_id))

    async def _pay(self, run: str, grants: list[Grant]) -> None:
        """Credit prizes into the winners' wallets and list won coupons there (``run``: the ref)."""
        for grant in grants:
            prize = grant.prize
            if prize["kind"] == "credit":
                await self._wallet.credit(
                    grant.session_id, prize["currency"], prize["amount"], "giveaway", run
                )
            elif grant.coupon_code is not None:
                await self._wallet.record_coupon(grant.session_id, grant.coupon_code)

    async def close_early(self, show_id: str, giveaway_id: str) -> GiveawayView:
        """The producer closes the entries now and draws.

        Raises:
            GiveawayNotFoundError, GiveawayClosedError: nothing to close.
        """
        await self.close(show_id, giveaway_id, early=True)
        return await self.view(show_id, giveaway_id)

    async def _grant(
        self,
        show_id: str,
        giveaway_id: str,
        terms: dict[str, Any],
        seed: bytes,
        session_id: str,
        handle: str,
    ) -> Grant:
        prize = terms["prize"]
        if prize["kind"] != "coupon":
            return Grant(session_id=session_id, handle=handle, prize=prize)
        # Derived from the secret seed: a closer that draws again creates the same coupon, and
        # nobody but the winner (who is shown it) can guess it.
        digest = hmac.new(seed, f"coupon:{show_id}:{giveaway_id}:{handle}".encode(), hashlib.sha256)
        code = f"WIN-{digest.hexdigest()[:16].upper()}"
        now = now_ms()
        await self._coupons.save(
            Coupon(
                code=code,
                kind=prize["coupon_kind"],
                value=prize["value"],
                currency=prize["currency"],
                starts_at=0,
                ends_at=now + prize["valid_ms"],
                max_uses=1,
                per_customer=1,
            )
        )
        return Grant(session_id=session_id, handle=handle, prize=prize, coupon_code=code)

    async def _terms(self, show_id: str, giveaway_id: str) -> dict[str, Any]:
        raw = await self._redis.hget(keys.giveaway(show_id, giveaway_id), "terms")
        if raw is None:
            raise GiveawayNotFoundError(
                f"unknown giveaway '{giveaway_id}'", giveaway_id=giveaway_id
            )
        return cast(dict[str, Any], orjson.loads(raw))

    async def _read(self, show_id: str, giveaway_id: str) -> tuple[dict[str, str], list[str]]:
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.hgetall(keys.giveaway(show_id, giveaway_id))
            await pipe.hvals(keys.giveaway_entries(show_id, giveaway_id))
            fields, handles = await pipe.execute()
        if not fields:
            raise GiveawayNotFoundError(
                f"unknown giveaway '{giveaway_id}'", giveaway_id=giveaway_id
            )
        return fields, handles

    async def view(
        self, show_id: str, giveaway_id: str, *, with_proof: bool = True
    ) -> GiveawayView:
        """The public view; once closed with its proof (the seed is never shown before).

        Raises:
            GiveawayNotFoundError: no such giveaway.
        """
        fields, handles = await self._read(show_id, giveaway_id)
        addresses = await self._redis.hlen(keys.giveaway_ips(show_id, giveaway_id))
        return _view(
            show_id, giveaway_id, fields, handles, with_proof=with_proof, addresses=addresses
        )

    async def mine(self, show_id: str, giveaway_id: str, session: Session) -> MyGiveaway:
        """The session's own standing: entered, won, and a won coupon's code.

        Raises:
            GiveawayNotFoundError: no such giveaway.
        """
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.hmget(keys.giveaway(show_id, giveaway_id), ["status", "grants"])
            await pipe.hexists(keys.giveaway_entries(show_id, giveaway_id), session.session_id)
            (status, raw_grants), entered = await pipe.execute()
        if status is None:
            raise GiveawayNotFoundError(
                f"unknown giveaway '{giveaway_id}'", giveaway_id=giveaway_id
            )
        mine = MyGiveaway(giveaway_id=giveaway_id, status=status, entered=bool(entered))
        if status != "closed":
            return mine
        grants = [Grant.model_validate(grant) for grant in orjson.loads(cast(str, raw_grants))]
        won = [grant for grant in grants if grant.session_id == session.session_id]
        mine.won = bool(won)
        if won:
            mine.prize = won[0].prize
            mine.coupon_code = won[0].coupon_code
        return mine

    async def grants(self, show_id: str, giveaway_id: str) -> list[Grant]:
        """The (session, prize) grants of a closed giveaway, in draw order (``finish`` paid them).

        Raises:
            GiveawayNotFoundError: no such giveaway.
            GiveawayOpenError: not drawn yet.
        """
        status, raw = await self._redis.hmget(
            keys.giveaway(show_id, giveaway_id), ["status", "grants"]
        )
        if status is None:
            raise GiveawayNotFoundError(
                f"unknown giveaway '{giveaway_id}'", giveaway_id=giveaway_id
            )
        if status != "closed":
            raise GiveawayOpenError(
                f"giveaway '{giveaway_id}' is not drawn yet", giveaway_id=giveaway_id
            )
        return [Grant.model_validate(grant) for grant in orjson.loads(cast(str, raw))]

    async def snapshot(self, show_id: str) -> list[dict[str, Any]]:
        """The show's latest giveaways for a joining viewer (no entry lists: counts only)."""
        ids = cast(
            list[str],
            await self._redis.zrevrange(keys.show_giveaways(show_id), 0, SNAPSHOT_GIVEAWAYS - 1),
        )
        views = []
        for giveaway_id in reversed(ids):
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.hgetall(keys.giveaway(show_id, giveaway_id))
                await pipe.hlen(keys.giveaway_entries(show_id, giveaway_id))
                fields, count = await pipe.execute()
            if fields:
                view = _view(show_id, giveaway_id, fields, [], with_proof=False, count=count)
                views.append(view.model_dump(mode="json", exclude={"proof"}))
        return views

    async def due(self, now: int) -> list[tuple[str, str]]:
        """``(show_id, giveaway_id)`` of the open giveaways whose window ended by ``now``."""
        members = cast(
            list[str], await self._redis.zrangebyscore(keys.giveaways_due(), "-inf", now)
        )
        return [cast(tuple[str, str], tuple(member.split("|", 1))) for member in members]

    async def open_counts(self) -> dict[tuple[str, str], int]:
        """Entry counts of every giveaway still in the due index (open or being drawn)."""
        members = cast(list[str], await self._redis.zrange(keys.giveaways_due(), 0, -1))
        pairs = [cast(tuple[str, str], tuple(member.split("|", 1))) for member in members]
        async with self._redis.pipeline(transaction=False) as pipe:
            for show_id, giveaway_id in pairs:
                await pipe.hlen(keys.giveaway_entries(show_id, giveaway_id))
            counts = await pipe.execute()
        return dict(zip(pairs, (int(count) for count in counts), strict=True))


def _view(
    show_id: str,
    giveaway_id: str,
    fields: dict[str, str],
    handles: list[str],
    *,
    with_proof: bool,
    count: int | None = None,
    addresses: int | None = None,
) -> GiveawayView:
    terms = orjson.loads(fields["terms"])
    closed = fields["status"] == "closed"
    winners = orjson.loads(fields["winners"]) if closed else None
    proof = None
    report = None
    if closed:
        report = GameReport(
            entered=int(fields["entry_count"]),
            distinct_winners=len(set(winners or [])),
            addresses=addresses,
        )
    if closed and with_proof:
        proof = DrawProof(
            commitment=fields["commitment"],
            seed=fields["seed"],
            entries_hash=fields["entries_hash"],
            winner_count=terms["winners"],
            entries=sorted(handles, key=lambda handle: handle.encode()),
            winners=winners or [],
        )
    return GiveawayView(
        show_id=show_id,
        giveaway_id=giveaway_id,
        title=terms["title"],
        prize=terms["prize"],
        winner_count=terms["winners"],
        require_chatted=terms["require_chatted"],
        require_favourite=terms["require_favourite"],
        require_purchase=terms["require_purchase"],
        status=fields["status"],
        commitment=fields["commitment"],
        opened_at=int(fields["opened_at"]),
        ends_at=int(fields["ends_at"]),
        entries=count if count is not None else int(fields.get("entry_count") or len(handles)),
        winners=winners,
        proof=proof,
        report=report,
    )
