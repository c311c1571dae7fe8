"""The auction stack on a real Redis with a test clock: service, settler, commerce and a show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from catalog.models import Money
from livebuy.clock import now_ms
from livebuy.commerce.models import PaymentRequest
from livebuy.commerce.services import Commerce
from livebuy.commerce.skus import SkuDirectory
from livebuy.events.stream import ShowStream
from livebuy.games.auctions.payment_methods import PaymentMethods
from livebuy.games.auctions.service import AuctionService
from livebuy.games.auctions.settlement import AuctionSettler
from livebuy.redis import keys
from livebuy.services import catalog_store
from livebuy.sessions.models import Session
from livebuy.shows.models import AuctionCue
from livebuy.shows.service import ShowService
from tests.servers import settings_for_tests

SHOW = "spring-runway"
SKU = "VLM-SCRF-SKY"  # 100 units in the demo catalog, sold in EUR
CARD_OK = "4242424242424242"
CARD_DECLINE = "4000000000000002"
HOLD_MS = 5_000
LADDER = [[0, 100], [10_000, 500], [50_000, 1_000]]


def card(number: str = CARD_OK) -> PaymentRequest:
    """A demo test card."""
    return PaymentRequest(card_number=number, expiry_month=12, expiry_year=2030, cvc="123")


@dataclass
class TestClock:
    """A clock a test moves by hand (ms); it starts at the real time, as the order steps use it."""

    now: int = field(default_factory=now_ms)

    def __call__(self) -> int:
        return self.now


def session(name: str) -> Session:
    """A bidder's session (the service only reads its id, handle and display name)."""
    return Session(session_id=f"sid-{name}", handle=f"h-{name}", display_name=name, created_at=0)


def auction_cue(
    auction_id: str = "lot1",
    *,
    start: int = 1_000,
    duration_ms: int = 20_000,
    mode: str = "extend",
    extend_ms: int = 10_000,
    sku: str = SKU,
) -> AuctionCue:
    """An auction of the demo scarf."""
    return AuctionCue.model_validate(
        {
            "kind": "auction",
            "auction_id": auction_id,
            "sku": sku,
            "start_price": Money(amount=start, currency="EUR"),
            "ladder": LADDER,
            "duration_ms": duration_ms,
            "mode": mode,
            "extend_ms": extend_ms,
        }
    )


@dataclass
class AuctionStack:
    """Everything an auction needs, on one Redis and one test clock."""

    redis: Redis
    clock: TestClock = field(default_factory=TestClock)

    def __post_init__(self) -> None:
        catalog = catalog_store(self.redis)
        stream = ShowStream(self.redis, 100_000)
        self.commerce = Commerce.build(self.redis, catalog, stream, settings_for_tests())
        self.shows = ShowService(self.redis, stream, catalog, 1.0)
        self.methods = PaymentMethods(self.redis, 3600)
        skus = SkuDirectory(catalog)
        self.auctions = AuctionService(
            self.redis,
            catalog,
            skus,
            self.commerce.inventory,
            self.methods,
            maxlen=100_000,
            clock=self.clock,
        )
        for kind in ("auction", "auction_cancel"):
            self.shows.cue_handlers[kind] = self.auctions.play_cue
        self.settler = AuctionSettler(
            self.redis,
            self.auctions.scripts,
            skus,
            self.commerce.orders,
            self.methods,
            payment_hold_ms=HOLD_MS,
        )

    async def load(self) -> None:
        """The demo catalog (and no show state)."""
        await load_catalog(self.redis, load_demo_catalog())
        await self.redis.sadd(keys.shows_index(), SHOW)

    async def private(self, auction_id: str = "lot1") -> dict[str, Any]:
        """The auction's private hash."""
        return cast(dict[str, Any], await self.redis.hgetall(keys.auction(SHOW, auction_id)))

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event of the show stream, in order: (type, data)."""
        entries = cast(
            list[tuple[str, dict[str, str]]], await self.redis.xrange(keys.show_events(SHOW))
        )
        return [(fields["type"], orjson.loads(fields["data"])) for _, fields in entries]
