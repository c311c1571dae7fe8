"""Typed wrappers of the giveaway Lua steps (one slot: the show's hash tag)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from livebuy.errors import LivebuyError, refusal
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript

_PACKAGE = "livebuy.games.giveaways"


@dataclass(frozen=True)
class OpenKeys:
    """KEYS of ``giveaway_open.lua``."""

    giveaway: str
    entries: str
    ips: str
    index: str


@dataclass(frozen=True)
class OpenArgs:
    """ARGV of ``giveaway_open.lua`` (flags as 0/1)."""

    giveaway_id: str
    terms: str
    seed: str
    commitment: str
    opened_at: int
    ends_at: int
    require_chatted: int
    require_favourite: int
    require_purchase: int


@dataclass(frozen=True)
class EnterKeys:
    """KEYS of ``giveaway_enter.lua``."""

    giveaway: str
    entries: str
    ips: str
    presence: str
    chatters: str


@dataclass(frozen=True)
class EnterArgs:
    """ARGV of ``giveaway_enter.lua`` (flags as 0/1)."""

    session_id: str
    handle: str
    ip: str
    now: int
    presence_ms: int
    ip_cap: int
    session_created_at: int
    min_age_ms: int
    has_favourite: int
    has_purchase: int


@dataclass(frozen=True)
class FreezeKeys:
    """KEYS of ``giveaway_freeze.lua``."""

    giveaway: str
    entries: str


@dataclass(frozen=True)
class FreezeArgs:
    """ARGV of ``giveaway_freeze.lua``."""

    now: int
    early: int


@dataclass(frozen=True)
class SettleKeys:
    """KEYS of ``giveaway_settle.lua``."""

    giveaway: str


@dataclass(frozen=True)
class SettleArgs:
    """ARGV of ``giveaway_settle.lua`` (``winners`` and ``grants`` as JSON)."""

    entries_hash: str
    winners: str
    grants: str
    entry_count: int


GIVEAWAY_OPEN = LuaScript(_PACKAGE, "giveaway_open", OpenKeys, OpenArgs)
GIVEAWAY_ENTER = LuaScript(_PACKAGE, "giveaway_enter", EnterKeys, EnterArgs)
GIVEAWAY_FREEZE = LuaScript(_PACKAGE, "giveaway_freeze", FreezeKeys, FreezeArgs)
GIVEAWAY_SETTLE = LuaScript(_PACKAGE, "giveaway_settle", SettleKeys, SettleArgs)


@dataclass(frozen=True)
class Frozen:
    """A giveaway whose entries are closed: its seed and entries (session id -> handle)."""

    seed: bytes
    entries: dict[str, str]


class GiveawayScripts:
    """The four atomic steps of a giveaway, called by name."""

    def __init__(self, redis: Redis) -> None:
        self._open = GIVEAWAY_OPEN.bind(redis)
        self._enter = GIVEAWAY_ENTER.bind(redis)
        self._freeze = GIVEAWAY_FREEZE.bind(redis)
        self._settle = GIVEAWAY_SETTLE.bind(redis)

    async def open(
        self,
        show_id: str,
        giveaway_id: str,
        *,
        terms: str,
        seed: bytes,
        commitment: str,
        opened_at: int,
        ends_at: int,
        require_chatted: bool,
        require_favourite: bool,
        require_purchase: bool,
    ) -> tuple[str, int]:
        """Open the giveaway (or find it open); its commitment and end time as stored."""
        result = cast(
            list[Any],
            await self._open(
                OpenKeys(
                    giveaway=keys.giveaway(show_id, giveaway_id),
                    entries=keys.giveaway_entries(show_id, giveaway_id),
                    ips=keys.giveaway_ips(show_id, giveaway_id),
                    index=keys.show_giveaways(show_id),
                ),
                OpenArgs(
                    giveaway_id=giveaway_id,
                    terms=terms,
                    seed=seed.hex(),
                    commitment=commitment,
                    opened_at=opened_at,
                    ends_at=ends_at,
                    require_chatted=int(require_chatted),
                    require_favourite=int(require_favourite),
                    require_purchase=int(require_purchase),
                ),
            ),
        )
        return str(result[1]), int(result[2])

    async def enter(
        self,
        show_id: str,
        giveaway_id: str,
        *,
        session_id: str,
        handle: str,
        ip: str,
        now: int,
        presence_ms: int,
        ip_cap: int,
        session_created_at: int,
        min_age_ms: int,
        has_favourite: bool,
        has_purchase: bool,
    ) -> int:
        """Record one entry; the entry count after it.

        Raises:
            GiveawayNotFoundError, GiveawayClosedError, AlreadyEnteredError, NotEligibleError,
            EntryCapError: the refusal.
        """
        result = cast(
            list[Any],
            await self._enter(
                EnterKeys(
                    giveaway=keys.giveaway(show_id, giveaway_id),
                    entries=keys.giveaway_entries(show_id, giveaway_id),
                    ips=keys.giveaway_ips(show_id, giveaway_id),
                    presence=keys.show_presence(show_id),
                    chatters=keys.show_chatters(show_id),
                ),
                EnterArgs(
                    session_id=session_id,
                    handle=handle,
                    ip=ip,
                    now=now,
                    presence_ms=presence_ms,
                    ip_cap=ip_cap,
                    session_created_at=session_created_at,
                    min_age_ms=min_age_ms,
                    has_favourite=int(has_favourite),
                    has_purchase=int(has_purchase),
                ),
            ),
        )
        if result[0] != "ok":
            raise _refused(str(result[0]), giveaway_id, result[1:])
        return int(result[1])

    async def freeze(
        self, show_id: str, giveaway_id: str, now: int, *, early: bool
    ) -> Frozen | None:
        """Close the entries if due (or ``early``); ``None`` if not due yet.

        Raises:
            GiveawayNotFoundError, GiveawayClosedError: nothing to close.
        """
        result = cast(
            list[Any],
            await self._freeze(
                FreezeKeys(
                    giveaway=keys.giveaway(show_id, giveaway_id),
                    entries=keys.giveaway_entries(show_id, giveaway_id),
                ),
                FreezeArgs(now=now, early=int(early)),
            ),
        )
        if result[0] == "not_due":
            return None
        if result[0] != "drawing":
            raise _refused(str(result[0]), giveaway_id, [])
        pairs = result[2:]
        entries = {str(pairs[index]): str(pairs[index + 1]) for index in range(0, len(pairs), 2)}
        return Frozen(seed=bytes.fromhex(str(result[1])), entries=entries)

    async def settle(
        self,
        show_id: str,
        giveaway_id: str,
        *,
        entries_hash: str,
        winners: str,
        grants: str,
        entry_count: int,
    ) -> bool:
        """Write the results; ``False`` if another closer wrote them first."""
        written = await self._settle(
            SettleKeys(giveaway=keys.giveaway(show_id, giveaway_id)),
            SettleArgs(entries_hash, winners, grants, entry_count),
        )
        return bool(written)


_MESSAGES = {
    "unknown_giveaway": "unknown giveaway '{id}'",
    "giveaway_closed": "giveaway '{id}' is closed",
    "already_entered": "you have entered giveaway '{id}' already",
    "not_eligible": "you cannot enter giveaway '{id}': {reason}",
    "entry_cap": "too many entries to giveaway '{id}' from your network",
}
_REASONS = {
    "session_too_new": "your session is too new",
    "not_watching": "enter while watching the show (your live connection was not seen)",
    "not_chatted": "this giveaway is for viewers who chatted in the show",
    "no_favourite": "this giveaway is for viewers with a favourite product",
    "no_purchase": "this giveaway is for viewers who bought during the show",
}


def _refused(code: str, giveaway_id: str, rest: list[Any]) -> LivebuyError:
    if code == "not_eligible":
        reason = str(rest[0])
        message = _MESSAGES[code].format(id=giveaway_id, reason=_REASONS[reason])
        return refusal(code, message, giveaway_id=giveaway_id, reason=reason)
    return refusal(code, _MESSAGES[code].format(id=giveaway_id), giveaway_id=giveaway_id)
