"""Typed calls of ``auction_step.lua``: every key and argument by name, in this one place."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from redis.asyncio import Redis

from livebuy.clock import Clock
from livebuy.events.stream import dedupe_marker
from livebuy.redis import keys
from livebuy.redis.scripts import LuaScript, variadic

BidKind = Literal["amount", "max"]


@dataclass(frozen=True)
class StepReply:
    """The script's answer: ``ok`` or ``error``, a word (outcome or refusal code) and values."""

    ok: bool
    word: str
    values: list[Any]

    def number(self, index: int) -> int:
        """The ``index``-th value as an integer."""
        return int(self.values[index])


@dataclass(frozen=True)
class StepKeys:
    """KEYS of ``auction_step.lua``: the auction's and the show's (``dedupe``: "" if none)."""

    auction: str
    bidders: str
    open: str
    settling: str
    seq: str
    events: str
    state: str
    epoch: str
    dedupe: str


@dataclass(frozen=True)
class StepArgs:
    """ARGV of ``auction_step.lua``: four common, then the action's own (``rest``)."""

    action: str
    now_arg: int | str
    maxlen: int
    fresh_epoch: str
    rest: tuple[Any, ...] = variadic()


AUCTION_STEP = LuaScript("livebuy.games.auctions", "auction_step", StepKeys, StepArgs)


class AuctionScripts:
    """One auction's steps on the show's keys; ``clock`` replaces Redis's TIME (tests only)."""

    def __init__(self, redis: Redis, maxlen: int, clock: Clock | None = None) -> None:
        self._step = AUCTION_STEP.bind(redis)
        self._maxlen = maxlen
        self._clock = clock

    async def _run(
        self, action: str, show_id: str, auction_id: str, args: list[Any], dedupe_id: str | None
    ) -> StepReply:
        raw = await self._step(
            StepKeys(
                auction=keys.auction(show_id, auction_id),
                bidders=keys.auction_bidders(show_id, auction_id),
                open=keys.auctions_open(show_id),
                settling=keys.auctions_settling(show_id),
                seq=keys.show_seq(show_id),
                events=keys.show_events(show_id),
                state=keys.show_state(show_id),
                epoch=keys.show_epoch(show_id),
                dedupe=dedupe_marker(show_id, dedupe_id)[0],
            ),
            StepArgs(
                action=action,
                now_arg="" if self._clock is None else self._clock(),
                maxlen=self._maxlen,
                fresh_epoch=secrets.token_hex(8),
                rest=tuple(args),
            ),
        )
        return StepReply(ok=raw[0] == "ok", word=str(raw[1]), values=list(raw[2:]))

    async def start(
        self,
        show_id: str,
        auction_id: str,
        *,
        cue_id: str,
        config: dict[str, Any],
        duration_ms: int,
        data_prefix: str,
        at_ms: int,
        dedupe_id: str | None,
        refused: str,
        strict: bool,
    ) -> StepReply:
        """Open the auction and append its cue (``data_prefix``: the cue's JSON without ``}``)."""
        return await self._run(
            "start",
            show_id,
            auction_id,
            [
                cue_id,
                orjson.dumps(config).decode(),
                duration_ms,
                data_prefix,
                at_ms,
                dedupe_marker(show_id, dedupe_id)[1],
                refused,
                "1" if strict else "0",
            ],
            dedupe_id,
        )

    async def bid(
        self,
        show_id: str,
        auction_id: str,
        *,
        bidder: str,
        handle: str,
        name: str,
        kind: BidKind,
        value: int,
    ) -> StepReply:
        """Place a bid (``amount``) or a ceiling for proxy bidding (``max``)."""
        return await self._run(
            "bid", show_id, auction_id, [bidder, handle, name, kind, value], None
        )

    async def close(self, show_id: str, auction_id: str) -> StepReply:
        """Close the auction if its clock has run out (else ``noop``)."""
        return await self._run("close", show_id, auction_id, [], None)

    async def cancel(
        self, show_id: str, auction_id: str, *, data: str, at_ms: int, dedupe_id: str | None
    ) -> StepReply:
        """Cancel an open auction and append the cancel cue (``data``)."""
        return await self._run(
            "cancel",
            show_id,
            auction_id,
            [data, at_ms, dedupe_marker(show_id, dedupe_id)[1]],
            dedupe_id,
        )

    async def settle(
        self,
        show_id: str,
        auction_id: str,
        *,
        expected: str,
        status: str,
        fields: dict[str, Any],
        next_at: int | None,
    ) -> StepReply:
        """Move a closed auction from ``expected`` to ``status`` with ``fields`` (else ``noop``)."""
        return await self._run(
            "settle",
            show_id,
            auction_id,
            [expected, status, orjson.dumps(fields).decode(), "" if next_at is None else next_at],
            None,
        )
