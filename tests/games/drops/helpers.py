"""The lottery-drop stack on a real Redis with a test clock: drops, closer, commerce, a show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from catalog.models import Money
from livebuy.clock import now_ms
from livebuy.commerce.models import OrderRequest, PaymentRequest
from livebuy.commerce.services import Commerce
from livebuy.commerce.skus import SkuDirectory
from livebuy.events.stream import ShowStream
from livebuy.games.drops.closer import DropCloser
from livebuy.games.drops.service import DropService
from livebuy.redis import keys
from livebuy.services import catalog_store
from livebuy.sessions.models import Session
from livebuy.shows.models import DealStartCue
from livebuy.shows.service import ShowService
from tests.servers import settings_for_tests

SHOW = "spring-runway"
PRODUCT = "velmora-silk-twill-scarf"  # VLM-SCRF-SKY 100, -COR 80, -EME 60 in the demo catalog
SKU = "VLM-SCRF-SKY"
WINDOW_MS = 10_000
GRACE_MS = 2_000
HOLD_MS = 30_000
CARD_OK = "4242424242424242"


def card() -> PaymentRequest:
    """A demo test card that is approved."""
    return PaymentRequest(card_number=CARD_OK, expiry_month=12, expiry_year=2030, cvc="123")


@dataclass
class ManualClock:
    """A clock a test moves by hand (ms); it starts at the real time, as ordering uses it."""

    now: int = field(default_factory=now_ms)

    def __call__(self) -> int:
        return self.now


def viewer(index: int, created_at: int = 0) -> Session:
    """A viewer's session (the drop reads its id, handle and creation time)."""
    return Session(
        session_id=f"sid-{index:03d}",
        handle=f"h{index:03d}",
        display_name=f"Viewer {index}",
        created_at=created_at,
    )


def deal_cue(deal_id: str = "drop1", *, units: int = 3, **changes: Any) -> DealStartCue:
    """A lottery deal on the demo scarf at 10.00 EUR."""
    fields: dict[str, Any] = {
        "kind": "deal_start",
        "deal_id": deal_id,
        "product_id": PRODUCT,
        "deal_price": Money(amount=1000, currency="EUR"),
        "units": units,
        "mode": "lottery",
        "entry_window_ms": WINDOW_MS,
        "pay_hold_ms": HOLD_MS,
    }
    fields.update(changes)
    return DealStartCue.model_validate(fields)


@dataclass
class DropStack:
    """Everything a lottery drop needs, on one Redis and one test clock."""

    redis: Redis
    settings: dict[str, Any] = field(default_factory=dict)
    clock: ManualClock = field(default_factory=ManualClock)

    def __post_init__(self) -> None:
        catalog = catalog_store(self.redis)
        self.stream = ShowStream(self.redis, 100_000)
        settings = settings_for_tests(drop_entry_grace_ms=GRACE_MS, **self.settings)
        self.commerce = Commerce.build(self.redis, catalog, self.stream, settings)
        skus = SkuDirectory(catalog)
        self.drops = DropService(self.redis, skus, settings, self.clock)
        self.shows = ShowService(self.redis, self.stream, catalog, 1.0, drops=self.drops)
        self.closer = DropCloser(
            self.redis,
            self.stream,
            skus,
            self.commerce.orders.policy,
            tick_ms=100,
            lease_ms=1000,
            clock=self.clock,
        )
        self.commerce.orders.release_listeners.append(self.closer.on_release)

    async def load(self) -> None:
        """The demo catalog (and no show state)."""
        await load_catalog(self.redis, load_demo_catalog())
        await self.redis.sadd(keys.shows_index(), SHOW)

    async def start(self, cue: DealStartCue) -> int:
        """Publish the deal cue now (the test clock's now); its start time."""
        await self.shows.publish(SHOW, f"cue-{cue.deal_id}", cue, self.clock.now, strict=True)
        return self.clock.now

    async def draw(self) -> None:
        """Move past the window and its grace, and let the closer run."""
        self.clock.now += WINDOW_MS + GRACE_MS
        await self.closer.step()

    async def buy(self, customer: str, deal_id: str = "drop1", key: str = "k1") -> str:
        """A first-come order of one unit of the deal (raises its refusal)."""
        request = OrderRequest(sku=SKU, quantity=1, show_id=SHOW, deal_id=deal_id)
        order, _ = await self.commerce.orders.create(customer, key, request)
        return order.id

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event of the show stream, in order: (type, data)."""
        entries = cast(
            list[tuple[str, dict[str, str]]], await self.redis.xrange(keys.show_events(SHOW))
        )
        return [(fields["type"], orjson.loads(fields["data"])) for _, fields in entries]

    async def taken(self, deal_id: str, started_at: int) -> int:
        """The deal's units taken (reserved or sold) in its run."""
        raw = await self.redis.hget(keys.deal_counters(SHOW, deal_id, started_at), "taken")
        return int(raw or 0)
