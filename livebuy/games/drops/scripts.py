"""The drop's Lua steps, declared by name (every key in the show's slot: one slot per step)."""

from __future__ import annotations

from dataclasses import dataclass

from livebuy.redis.scripts import LuaScript, variadic

_PACKAGE = "livebuy.games.drops"


@dataclass(frozen=True)
class OpenKeys:
    """KEYS of ``drop_open.lua``."""

    drop: str


@dataclass(frozen=True)
class OpenArgs:
    """ARGV of ``drop_open.lua``."""

    deal_id: str
    started_at: int
    entries_close_at: int
    draw_at: int
    seed: str
    seed_hash: str
    units: int
    per_customer_limit: int
    pay_hold_ms: int
    waitlist_max: int
    product_id: str
    ttl_ms: int


@dataclass(frozen=True)
class EnterKeys:
    """KEYS of ``drop_enter.lua``."""

    drop: str
    entries: str
    choices: str


@dataclass(frozen=True)
class EnterArgs:
    """ARGV of ``drop_enter.lua``."""

    session_id: str
    handle: str
    sku: str
    now: int
    session_created_at: int
    exclude_new: str
    ttl_ms: int


@dataclass(frozen=True)
class FreezeKeys:
    """KEYS of ``drop_freeze.lua``."""

    drop: str
    entries: str


@dataclass(frozen=True)
class FreezeArgs:
    """ARGV of ``drop_freeze.lua``."""

    now: int


@dataclass(frozen=True)
class SettleKeys:
    """KEYS of ``drop_settle.lua``."""

    drop: str
    order: str
    ranks: str
    holds: str


@dataclass(frozen=True)
class SettleArgs:
    """ARGV of ``drop_settle.lua``: then the drawn session ids, in draw order."""

    entries_hash: str
    winners: str
    winner_count: int
    entry_count: int
    ttl_ms: int
    drawn: tuple[str, ...] = variadic()


@dataclass(frozen=True)
class HoldKeys:
    """KEYS of ``drop_hold.lua``."""

    drop: str
    holds: str
    grants: str


@dataclass(frozen=True)
class HoldArgs:
    """ARGV of ``drop_hold.lua``; ``order_id`` ``-``: no change, ``look_at`` ``''``: settled."""

    session_id: str
    order_id: str
    look_at: str
    ttl_ms: int


@dataclass(frozen=True)
class ReleaseKeys:
    """KEYS of ``drop_release.lua``."""

    drop: str
    order: str
    holds: str


@dataclass(frozen=True)
class ReleaseArgs:
    """ARGV of ``drop_release.lua``."""

    session_id: str
    stop: str


@dataclass(frozen=True)
class CloseKeys:
    """KEYS of ``drop_close.lua``."""

    drop: str


@dataclass(frozen=True)
class CloseArgs:
    """ARGV of ``drop_close.lua``."""

    now: int


DROP_OPEN = LuaScript(_PACKAGE, "drop_open", OpenKeys, OpenArgs)
DROP_ENTER = LuaScript(_PACKAGE, "drop_enter", EnterKeys, EnterArgs)
DROP_FREEZE = LuaScript(_PACKAGE, "drop_freeze", FreezeKeys, FreezeArgs)
DROP_SETTLE = LuaScript(_PACKAGE, "drop_settle", SettleKeys, SettleArgs)
DROP_HOLD = LuaScript(_PACKAGE, "drop_hold", HoldKeys, HoldArgs)
DROP_RELEASE = LuaScript(_PACKAGE, "drop_release", ReleaseKeys, ReleaseArgs)
DROP_CLOSE = LuaScript(_PACKAGE, "drop_close", CloseKeys, CloseArgs)
