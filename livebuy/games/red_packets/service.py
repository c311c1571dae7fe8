"""Grabbing red packets: open a rain once (pre-split), grab atomically, credit the wallet."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any, cast

import orjson
from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.errors import InvalidInputError, RedPacketRainNotFoundError, refusal
from livebuy.events.state import red_packets_in, red_packets_location
from livebuy.games.red_packets.split import split
from livebuy.games.report import GameReport
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript, variadic
from livebuy.wallet.service import WalletService

log = logging.getLogger(__name__)

# A rain's packets and grabs are kept this long after it closes (the grants are in the outbox).
KEEP_MS = 24 * 3600 * 1000
SOURCE = "red_packet"


@dataclass(frozen=True)
class GrabKeys:
    """KEYS of ``red_packets_grab.lua``."""

    rain: str
    packets: str
    grabs: str
    outbox: str
    ips: str
    tried: str


@dataclass(frozen=True)
class GrabArgs:
    """ARGV of ``red_packets_grab.lua`` (``ip`` empty: no per-IP cap)."""

    now: int
    session_id: str
    ref_prefix: str
    ttl_ms: int
    ip: str
    ip_cap: int


@dataclass(frozen=True)
class OpenKeys:
    """KEYS of ``red_packets_open.lua``."""

    rain: str
    packets: str


@dataclass(frozen=True)
class OpenArgs:
    """ARGV of ``red_packets_open.lua``: the rain's terms, then every packet's amount."""

    currency: str
    ends_at: int
    ttl_ms: int
    amounts: tuple[int, ...] = variadic()


RED_PACKETS_OPEN = LuaScript("livebuy.games.red_packets", "red_packets_open", OpenKeys, OpenArgs)
RED_PACKETS_GRAB = LuaScript("livebuy.games.red_packets", "red_packets_grab", GrabKeys, GrabArgs)


class Grab(BaseModel):
    """A packet a viewer grabbed: its index in the rain and its amount (minor units)."""

    model_config = ConfigDict(frozen=True)

    rain_id: str
    index: int
    amount: int
    currency: str


class RainView(BaseModel):
    """A rain as the producer's console sees it: its terms and how far the grabbing is."""

    model_config = ConfigDict(frozen=True)

    rain_id: str
    count: int
    budget: int
    currency: str
    ends_at: int
    granted: int
    granted_amount: int
    report: GameReport


@dataclass(frozen=True)
class RainCounts:
    """How far one run of a rain is: packets granted and their sum, who tried and from where."""

    rain: dict[str, Any]
    granted: int
    granted_amount: int
    tried: int = 0
    addresses: int = 0

    def report(self) -> GameReport:
        """Distinct viewers who tried to grab vs those who got a packet (one each at most)."""
        return GameReport(
            entered=self.tried, distinct_winners=self.granted, addresses=self.addresses
        )


class RedPacketService:
    """Opens rains, grabs packets and pays them into wallets; safe from any process."""

    def __init__(
        self, redis: Redis, wallet: WalletService, max_count: int = 100_000, ip_cap: int = 50
    ) -> None:
        self._redis = redis
        self._max_count = max_count
        self._ip_cap = ip_cap
        self._wallet = wallet
        self._open = RED_PACKETS_OPEN.bind(redis)
        self._grab = RED_PACKETS_GRAB.bind(redis)
        self._random = random.SystemRandom()

    async def rain(self, show_id: str, rain_id: str) -> dict[str, Any]:
        """The rain as its cue opened it (``started_at``, ``ends_at``, the split's terms).

        Raises:
            RedPacketRainNotFoundError: no such rain in the show (never opened, or closed long ago).
        """
        key, field = red_packets_location(show_id, rain_id)
        raw = await self._redis.hget(key, field)
        if raw is None:
            raise RedPacketRainNotFoundError(
                f"no red-packet rain '{rain_id}' in this show", rain_id=rain_id
            )
        return cast(dict[str, Any], orjson.loads(raw))

    async def open(self, show_id: str, rain: dict[str, Any]) -> bool:
        """Split the rain's budget into its packets, once per run; True if this call did it.

        Raises:
            InvalidInputError: more packets than ``red_packet_max_count``.
        """
        if rain["count"] > self._max_count:
            raise InvalidInputError(
                f"a rain holds at most {self._max_count} packets", field="count"
            )
        amounts = split(
            rain["budget"], rain["count"], rain["min_amount"], rain["max_amount"], self._random
        )
        started_at = rain["started_at"]
        opened = await self._open(
            OpenKeys(
                rain=keys.red_packets_rain(show_id, rain["rain_id"], started_at),
                packets=keys.red_packets_packets(show_id, rain["rain_id"], started_at),
            ),
            OpenArgs(
                currency=rain["currency"],
                ends_at=rain["ends_at"],
                # Kept a while after the end, also when opened late (after its end: never negative).
                ttl_ms=max(rain["ends_at"] - now_ms(), 0) + KEEP_MS,
                amounts=tuple(amounts),
            ),
        )
        return bool(opened)

    async def grab(
        self, show_id: str, rain_id: str, session_id: str, ip: str | None = None
    ) -> Grab:
        """Take one packet of the rain for the viewer and credit it to the viewer's wallet.

        Raises:
            RedPacketRainNotFoundError: no such rain.
            RainClosedError, RainEmptyError, AlreadyGrabbedError: the rain is over, has no
                packet left, or this viewer has one already.
            GrabCapError: ``ip_cap`` other viewers grabbed from ``ip`` already (no cap without it).
        """
        rain = await self.rain(show_id, rain_id)
        started_at = rain["started_at"]
        script_keys = GrabKeys(
            rain=keys.red_packets_rain(show_id, rain_id, started_at),
            packets=keys.red_packets_packets(show_id, rain_id, started_at),
            grabs=keys.red_packets_grabs(show_id, rain_id, started_at),
            outbox=keys.red_packets_outbox(show_id),
            ips=keys.red_packets_ips(show_id, rain_id, started_at),
            tried=keys.red_packets_tried(show_id, rain_id, started_at),
        )
        ref_prefix = f"{show_id}:{rain_id}:{started_at}"

        def args() -> GrabArgs:
            return GrabArgs(now_ms(), session_id, ref_prefix, KEEP_MS, ip or "", self._ip_cap)

        reply = await self._grab(script_keys, args())
        if reply[0] == "not_open":
            # Nobody opened this run yet (the publisher opens rains within a tick): open it here.
            await self.open(show_id, rain)
            reply = await self._grab(script_keys, args())
        if reply[0] == "not_open":
            # Opened and gone at once: only a rain whose keys already lapsed can do that.
            reply = ["error", "rain_closed"]
        if reply[0] == "error":
            code = str(reply[1])
            details: dict[str, Any] = {"rain_id": rain_id}
            if code == "already_grabbed":
                details["amount"] = int(str(reply[2]).partition(":")[2])
            if code == "grab_cap":
                details["cap"] = int(reply[2])
            raise refusal(code, _MESSAGES[code], **details)
        _, index, amount, currency, grant = reply
        await self.settle(show_id, str(grant))
        return Grab(rain_id=rain_id, index=int(index), amount=int(amount), currency=str(currency))

    async def settle(self, show_id: str, grant: str) -> None:
        """Pay one grant into its wallet (idempotent by its ref) and take it out of the outbox."""
        session_id, currency, amount, ref = grant.split("|", 3)
        await self._wallet.credit(session_id, currency, int(amount), SOURCE, ref)
        await self._redis.zrem(keys.red_packets_outbox(show_id), grant)

    async def settle_due(self, show_id: str, before: int, limit: int = 500) -> int:
        """Pay grants granted before ``before`` whose request died between grab and credit."""
        due = await self._redis.zrangebyscore(
            keys.red_packets_outbox(show_id), 0, before, start=0, num=limit
        )
        for grant in due:
            await self.settle(show_id, str(grant))
        return len(due)

    async def counts(self, show_id: str) -> list[RainCounts]:
        """Every rain in the show's state with its grabs so far."""
        return await rain_counts(self._redis, show_id)

    async def reports(self, show_id: str) -> list[RainCounts]:
        """Every rain in the show's state with its grabs and who tried (the producer's view)."""
        return [
            await rain_report(self._redis, show_id, counts)
            for counts in await rain_counts(self._redis, show_id)
        ]


async def rain_counts(redis: Redis, show_id: str) -> list[RainCounts]:
    """Every rain in the show's state with its grabs so far (0 before anyone grabbed)."""
    state = cast(dict[str, str], await redis.hgetall(keys.show_state(show_id)))
    rains = red_packets_in(state)
    async with redis.pipeline(transaction=False) as pipe:
        for rain in rains:
            key = keys.red_packets_rain(show_id, rain["rain_id"], rain["started_at"])
            await pipe.hmget(key, "granted", "granted_amount")
        rows: list[list[str | None]] = await pipe.execute()
    return [
        RainCounts(rain, int(row[0] or 0), int(row[1] or 0))
        for rain, row in zip(rains, rows, strict=True)
    ]


async def rain_report(redis: Redis, show_id: str, counts: RainCounts) -> RainCounts:
    """``counts`` with the distinct viewers who tried and their distinct IPs filled in."""
    rain_id, started_at = counts.rain["rain_id"], counts.rain["started_at"]
    async with redis.pipeline(transaction=False) as pipe:
        await pipe.scard(keys.red_packets_tried(show_id, rain_id, started_at))
        await pipe.hlen(keys.red_packets_ips(show_id, rain_id, started_at))
        tried, addresses = await pipe.execute()
    return RainCounts(
        counts.rain, counts.granted, counts.granted_amount, int(tried), int(addresses)
    )


async def snapshot_part(redis: Redis, show_id: str, now: int) -> list[dict[str, Any]]:
    """The snapshot's ``red_packets``: open rains with their counts, for late joiners."""
    return [
        {**counts.rain, "granted": counts.granted, "granted_amount": counts.granted_amount}
        for counts in await rain_counts(redis, show_id)
        if counts.rain["ends_at"] > now
    ]


_MESSAGES = {
    "rain_closed": "this red-packet rain is over",
    "rain_empty": "every packet of this rain has been grabbed",
    "already_grabbed": "you already grabbed a packet of this rain",
    "grab_cap": "too many viewers grabbed from this rain from your address",
}
