"""Live auctions as a service: the cue that opens (or cancels) one, bids, and the auction's part of
a join snapshot. Closing and settling are in ``settlement.py``; every change is ``auction_step.lua``.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, cast

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator
from redis.asyncio import Redis

from catalog.store import CatalogStore
from livebuy.clock import Clock, now_ms
from livebuy.commerce.inventory import InventoryService
from livebuy.commerce.skus import SkuDirectory
from livebuy.errors import (
    InvalidInputError,
    LivebuyError,
    PaymentMethodRequiredError,
    SkuNotFoundError,
    refusal,
)
from livebuy.events.models import AuctionCancelEvent, AuctionStartEvent
from livebuy.events.stream import Appended
from livebuy.games.auctions.payment_methods import PaymentMethods
from livebuy.games.auctions.scripts import AuctionScripts, BidKind, StepReply
from livebuy.redis import keys
from livebuy.sessions.models import Session
from livebuy.shows.models import AuctionCancelCue, AuctionCue, Identifier
from livebuy.shows.state import ends_at

log = logging.getLogger(__name__)

STATE_PREFIX = "auction:"
# Finished auctions stay in the join snapshot this long, so a late joiner sees the result.
FINISHED_VISIBLE_MS = 60_000


def _bid_request_schema(schema: dict[str, Any]) -> None:
    """State ``_one_amount`` in the JSON Schema: exactly one of ``amount`` and ``max_amount``."""
    for name in ("amount", "max_amount"):
        (present,) = [c for c in schema["properties"][name]["anyOf"] if c["type"] != "null"]
        schema["properties"][name] = present
    schema["oneOf"] = [{"required": ["amount"]}, {"required": ["max_amount"]}]


class BidRequest(BaseModel):
    """Body of a bid: ``amount`` (bid exactly this) or ``max_amount`` (the server bids for you,
    in ladder steps, up to this), in minor units of the auction's currency."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_bid_request_schema)

    amount: int | None = Field(None, gt=0, le=10**12)
    max_amount: int | None = Field(None, gt=0, le=10**12)

    @model_validator(mode="after")
    def _one_amount(self) -> BidRequest:
        if (self.amount is None) == (self.max_amount is None):
            raise ValueError("give exactly one of amount and max_amount")
        return self


class BidResult(BaseModel):
    """An accepted bid: whether you lead now, the price, and the clock after it."""

    auction_id: str
    status: Literal["leading", "outbid"] = Field(
        description="outbid: a higher ceiling (another bidder's max) answered at once"
    )
    price: int
    ends_at: int = Field(description="server-clock ms; a bid at or after it is refused")
    version: int
    handle: str = Field(description="your public handle: you lead when frames name it")
    seq: int | None = Field(description="the auction frame's seq (None: nothing public changed)")


class AuctionService:
    """Opens, cancels and takes bids on auctions; ``clock`` (tests only) replaces Redis TIME."""

    def __init__(
        self,
        redis: Redis,
        catalog: CatalogStore,
        skus: SkuDirectory,
        inventory: InventoryService,
        methods: PaymentMethods,
        *,
        maxlen: int,
        clock: Clock | None = None,
    ) -> None:
        self._redis = redis
        self._catalog = catalog
        self._skus = skus
        self._inventory = inventory
        self.methods = methods
        self.scripts = AuctionScripts(redis, maxlen, clock)

    async def play_cue(
        self,
        show_id: str,
        cue_id: str,
        cue: Any,
        at_ms: int,
        dedupe_id: str | None,
        speed: float,
        strict: bool,
    ) -> Appended:
        """Play an ``auction`` or ``auction_cancel`` cue (a ``ShowService`` cue handler).

        Raises (``strict`` only; a run-sheet cue is appended with ``refused`` instead):
            InvalidInputError: unknown SKU, or a start price in another currency than the SKU's.
            OutOfStockError: the SKU has no unit available.
            AuctionRunningError: an auction with this id is open.
            AuctionNotFoundError, AuctionClosedError: cancelling an unknown or finished auction.
        """
        if isinstance(cue, AuctionCancelCue):
            return await self._cancel(show_id, cue_id, cue, at_ms, dedupe_id)
        assert isinstance(cue, AuctionCue)
        try:
            info = await self._skus.get(cue.sku)
        except SkuNotFoundError as error:
            if strict:
                raise InvalidInputError(error.message, field="cue.sku") from error
            log.warning("auction cue names an unknown sku", extra={"sku": cue.sku})
            return Appended(seq=0, created=False)
        if info.price.currency != cue.start_price.currency:
            message = f"sku '{cue.sku}' is sold in {info.price.currency}"
            if strict:
                raise InvalidInputError(message, field="cue.start_price.currency")
            log.warning(message)
            return Appended(seq=0, created=False)
        try:
            refused = "" if (await self._inventory.level(cue.sku)).available > 0 else "out_of_stock"
        except SkuNotFoundError:
            refused = "out_of_stock"
        card = await self._catalog.get_card(info.product_id)
        event = AuctionStartEvent(
            cue_id=cue_id,
            kind="auction",
            auction_id=cue.auction_id,
            sku=cue.sku,
            product_id=info.product_id,
            start_price=cue.start_price.model_dump(mode="json"),
            ladder=cue.ladder,
            duration_ms=cue.duration_ms,
            mode=cue.mode,
            extend_ms=cue.extend_ms,
            product=card.model_dump(mode="json"),
        )
        config = {
            "auction_id": cue.auction_id,
            "sku": cue.sku,
            "product_id": info.product_id,
            "currency": cue.start_price.currency,
            "start_price": cue.start_price.amount,
            "ladder": cue.ladder,
            "mode": cue.mode,
            "extend_ms": cue.extend_ms,
        }
        reply = await self.scripts.start(
            show_id,
            cue.auction_id,
            cue_id=cue_id,
            config=config,
            # The duration is on the program clock (rehearsal speed); bids extend in real time.
            duration_ms=ends_at(0, cue.duration_ms, speed),
            data_prefix=event.data_json()[:-1],
            at_ms=at_ms,
            dedupe_id=dedupe_id,
            refused=refused,
            strict=strict,
        )
        if not reply.ok:
            raise _refusal(reply, cue.auction_id, sku=cue.sku)
        return Appended(seq=reply.number(0), created=reply.word != "duplicate")

    async def _cancel(
        self, show_id: str, cue_id: str, cue: AuctionCancelCue, at_ms: int, dedupe_id: str | None
    ) -> Appended:
        event = AuctionCancelEvent(cue_id=cue_id, kind="auction_cancel", auction_id=cue.auction_id)
        reply = await self.scripts.cancel(
            show_id, cue.auction_id, data=event.data_json(), at_ms=at_ms, dedupe_id=dedupe_id
        )
        if not reply.ok:
            raise _refusal(reply, cue.auction_id)
        return Appended(seq=reply.number(0), created=reply.word != "duplicate")

    async def bid(
        self, show_id: str, auction_id: Identifier, session: Session, request: BidRequest
    ) -> BidResult:
        """Place a bid (or set a ceiling) for the session; one atomic step on any process.

        Raises:
            PaymentMethodRequiredError: the session has no saved card.
            AuctionNotFoundError: no such auction in the show.
            AuctionClosedError: the auction's clock ran out (server clock) or it was cancelled.
            BidTooLowError: under the floor (``min_amount``); also a ceiling not above your own.
            AlreadyLeadingError: a plain bid by the leader.
        """
        if await self.methods.get(session.session_id) is None:
            raise PaymentMethodRequiredError("save a card before bidding: PUT /api/payment-method")
        kind: BidKind
        if request.max_amount is not None:
            kind, value = "max", request.max_amount
        else:
            kind, value = "amount", cast(int, request.amount)
        reply = await self.scripts.bid(
            show_id,
            auction_id,
            bidder=session.session_id,
            handle=session.handle,
            name=session.display_name,
            kind=kind,
            value=value,
        )
        if not reply.ok:
            raise _refusal(reply, auction_id)
        seq = reply.number(3)
        return BidResult(
            auction_id=auction_id,
            status="leading" if reply.word == "leading" else "outbid",
            price=reply.number(0),
            ends_at=reply.number(1),
            version=reply.number(2),
            handle=session.handle,
            seq=seq or None,
        )

    async def snapshot(self, show_id: str, now: int | None = None) -> list[dict[str, Any]]:
        """The show's auctions a joining viewer sees (open ones, and results of the last minute),
        each with its product card."""
        now = now_ms() if now is None else now
        fields = cast(dict[str, str], await self._redis.hgetall(keys.show_state(show_id)))
        auctions = [
            auction
            for field, raw in fields.items()
            if field.startswith(STATE_PREFIX)
            for auction in [orjson.loads(raw)]
            if auction["status"] == "open" or auction["ends_at"] > now - FINISHED_VISIBLE_MS
        ]
        auctions.sort(key=lambda auction: auction["started_at"])
        cards = await self._catalog.get_cards([auction["product_id"] for auction in auctions])
        return [
            {**auction, "product": card.model_dump(mode="json")}
            for auction, card in zip(auctions, cards, strict=True)
        ]


def _refusal(reply: StepReply, auction_id: str, **details: Any) -> LivebuyError:
    """The error for a refused step, with what the bidder needs to know next."""
    code = reply.word
    if code == "bid_too_low":
        floor = reply.number(0)
        return refusal(code, f"the lowest bid now is {floor}", min_amount=floor)
    if code == "auction_closed":
        return refusal(
            code,
            f"auction '{auction_id}' is closed",
            ends_at=reply.number(0),
            server_now=reply.number(1),
        )
    if code == "already_leading":
        return refusal(code, "you lead already; raise your ceiling with max_amount")
    if code == "unknown_auction":
        return refusal(code, f"unknown auction '{auction_id}'", auction_id=auction_id)
    if code == "auction_running":
        return refusal(code, f"auction '{auction_id}' is already running", auction_id=auction_id)
    if code == "out_of_stock":
        return refusal(code, "no unit in stock: the auction cannot open", **details)
    return refusal(code, f"auction '{auction_id}': {code}")
