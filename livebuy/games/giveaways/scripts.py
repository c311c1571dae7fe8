"""Typed wrappers of the giveaway Lua steps (one slot: the show's hash tag)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from livebuy.errors import LivebuyError, refusal
from livebuy.redis import keys
from livebuy.redis.scripts import register

_PACKAGE = "livebuy.games.giveaways"


@dataclass(frozen=True)
class Frozen:
    """A giveaway whose entries are closed: its seed and entries (session id -> handle)."""

    seed: bytes
    entries: dict[str, str]


class GiveawayScripts:
    """The four atomic steps of a giveaway, called by name."""

    def __init__(self, redis: Redis) -> None:
        self._open = register(redis, _PACKAGE, "giveaway_open")
        self._enter = register(redis, _PACKAGE, "giveaway_enter")
        self._freeze = register(redis, _PACKAGE, "giveaway_freeze")
        self._settle = register(redis, _PACKAGE, "giveaway_settle")

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
                keys=[
                    keys.giveaway(show_id, giveaway_id),
                    keys.giveaway_entries(show_id, giveaway_id),
                    keys.giveaway_ips(show_id, giveaway_id),
                    keys.show_giveaways(show_id),
                ],
                args=[
                    giveaway_id,
                    terms,
                    seed.hex(),
                    commitment,
                    opened_at,
                    ends_at,
                    int(require_chatted),
                    int(require_favourite),
                    int(require_purchase),
                ],
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
                keys=[
                    keys.giveaway(show_id, giveaway_id),
                    keys.giveaway_entries(show_id, giveaway_id),
                    keys.giveaway_ips(show_id, giveaway_id),
                    keys.show_presence(show_id),
                    keys.show_chatters(show_id),
                ],
                args=[
                    session_id,
                    handle,
                    ip,
                    now,
                    presence_ms,
                    ip_cap,
                    session_created_at,
                    min_age_ms,
                    int(has_favourite),
                    int(has_purchase),
                ],
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
                keys=[
                    keys.giveaway(show_id, giveaway_id),
                    keys.giveaway_entries(show_id, giveaway_id),
                ],
                args=[now, int(early)],
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
            keys=[keys.giveaway(show_id, giveaway_id)],
            args=[entries_hash, winners, grants, entry_count],
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
