"""A show's current state hash: its field layout, the changes an event makes, and its reads.

The hash is changed only by the Lua step that appends an event (``show_append.lua``), so a
snapshot's state always matches its seq. Producers describe changes as ``[op, field, value]``;
readers outside this module ask questions (``running_deal``) rather than parse the layout.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from redis.asyncio import Redis

from livebuy.redis import keys

StateOp = list[str]

PIN = "pin:"
DEAL = "deal:"
COUNTDOWN = "countdown:"
ANNOUNCEMENT = "announcement"
POLL = "poll:"
POLL_SECRET = "poll_secret:"
POLL_CLOSE = "poll_close:"
POLL_FINAL = "poll_final:"
SALES_VELOCITY = "sales_velocity"
RED_PACKETS = "red_packets:"
# A lottery deal's phase (``entries``, ``drawn``, ``first_come``) and, once drawn, its result.
LOTTERY = "lottery:"


def set_pin(product_id: str, value: dict[str, Any]) -> StateOp:
    """Pin ``product_id`` with ``value`` (``{product_id, cue_id, at}``)."""
    return _set(PIN + product_id, value)


def unpin(product_id: str | None) -> StateOp:
    """Unpin one product, or every pinned product when ``product_id`` is ``None``."""
    return ["del_prefix", PIN] if product_id is None else ["del", PIN + product_id]


def set_countdown(countdown_id: str, value: dict[str, Any]) -> StateOp:
    """Start a countdown (``{countdown_id, label, ends_at}``)."""
    return _set(COUNTDOWN + countdown_id, value)


def set_deal(deal_id: str, value: dict[str, Any]) -> StateOp:
    """Start a deal (the deal's fields with ``started_at`` and ``ends_at``)."""
    return _set(DEAL + deal_id, value)


def end_deal(deal_id: str) -> StateOp:
    """End a deal."""
    return ["del", DEAL + deal_id]


def set_announcement(value: dict[str, Any]) -> StateOp:
    """Show an announcement banner (``{text, cue_id, at}``)."""
    return _set(ANNOUNCEMENT, value)


def clear_announcement() -> StateOp:
    """Take the announcement banner down."""
    return ["del", ANNOUNCEMENT]


def open_poll(poll_id: str, value: dict[str, Any], secret: dict[str, Any]) -> list[StateOp]:
    """Open a poll or quiz (``value`` is public, ``secret`` holds a quiz's correct option).

    A new run of the same poll id forgets the previous run's early close and final result.
    """
    return [
        _set(POLL + poll_id, value),
        _set(POLL_SECRET + poll_id, secret),
        ["del", POLL_CLOSE + poll_id],
        ["del", POLL_FINAL + poll_id],
    ]


def close_poll(poll_id: str, closes_at: int) -> StateOp:
    """Close a poll early: votes count until ``closes_at`` instead of its planned close."""
    return _set(POLL_CLOSE + poll_id, {"closes_at": closes_at})


def finalize_poll(poll_id: str, result: dict[str, Any]) -> StateOp:
    """Record a poll run's final result (``opened_at`` says which run): it is no longer open."""
    return _set(POLL_FINAL + poll_id, result)


def polls_in(fields: dict[str, str]) -> list[dict[str, Any]]:
    """Every poll of a state hash, with its effective ``closes_at`` and its ``final`` result.

    ``final`` is the final result of this run (``None`` until the close step wrote it). The
    correct option of a quiz is not included (it is in the secret field only the vote reads).
    """
    polls: list[dict[str, Any]] = []
    for field, raw in fields.items():
        if not field.startswith(POLL):
            continue
        poll_id = field[len(POLL) :]
        poll = orjson.loads(raw)
        early = fields.get(POLL_CLOSE + poll_id)
        if early is not None:
            poll["closes_at"] = min(poll["closes_at"], orjson.loads(early)["closes_at"])
        final = fields.get(POLL_FINAL + poll_id)
        result = None if final is None else orjson.loads(final)
        poll["final"] = result if result and result["opened_at"] == poll["opened_at"] else None
        polls.append(poll)
    polls.sort(key=lambda poll: poll["opened_at"])
    return polls


async def show_polls(redis: Redis, show_id: str) -> list[dict[str, Any]]:
    """Every poll the show's state holds (open, closing or final)."""
    return polls_in(cast(dict[str, str], await redis.hgetall(keys.show_state(show_id))))


def poll_correct_option(fields: dict[str, str], poll_id: str) -> int | None:
    """A quiz's correct option from a state hash read elsewhere (``None``: a poll, or gone)."""
    raw = fields.get(POLL_SECRET + poll_id)
    return None if raw is None else cast(int | None, orjson.loads(raw)["correct_option"])


def poll_fields(poll_id: str) -> list[str]:
    """The state hash fields a vote reads atomically: the poll, its secret, its early close."""
    return [POLL + poll_id, POLL_SECRET + poll_id, POLL_CLOSE + poll_id]


def set_sales_velocity(products: dict[str, int]) -> StateOp:
    """Record the last ``sales_velocity`` figures pushed (``{}``: none, the field goes)."""
    return (
        ["set", SALES_VELOCITY, orjson.dumps(products).decode()]
        if products
        else [
            "del",
            SALES_VELOCITY,
        ]
    )


def set_red_packets(rain_id: str, value: dict[str, Any]) -> StateOp:
    """Open a red-packet rain (the cue's fields with ``started_at`` and ``ends_at``)."""
    return _set(RED_PACKETS + rain_id, value)


def end_red_packets(rain_id: str) -> StateOp:
    """Take a closed red-packet rain out of the state."""
    return ["del", RED_PACKETS + rain_id]


def red_packets_in(fields: dict[str, str]) -> list[dict[str, Any]]:
    """The red-packet rains of a state hash (open or closed but not yet taken out)."""
    return [orjson.loads(raw) for field, raw in fields.items() if field.startswith(RED_PACKETS)]


def red_packets_location(show_id: str, rain_id: str) -> tuple[str, str]:
    """The state hash and field holding a rain as opened (JSON with ``started_at``, ``ends_at``)."""
    return keys.show_state(show_id), RED_PACKETS + rain_id


def set_lottery(deal_id: str, value: dict[str, Any]) -> StateOp:
    """Record a lottery deal's phase (``{deal_id, started_at, phase, ...}``).

    A field of its own, not the deal's: a late write after a ``deal_end`` leaves a stray
    lottery field (ignored: no deal matches it), never a deal brought back to life.
    """
    return _set(LOTTERY + deal_id, value)


def end_lottery(deal_id: str) -> StateOp:
    """Forget a deal's lottery (the deal ended, or started again first-come)."""
    return ["del", LOTTERY + deal_id]


def lottery_location(show_id: str, deal_id: str) -> tuple[str, str]:
    """The state hash and field ``order_create.lua`` reads to refuse ``deal_in_lottery``.

    The field holds ``{started_at, phase}``: orders for the run that started at ``started_at``
    are refused until ``phase`` is ``first_come``.
    """
    return keys.show_state(show_id), LOTTERY + deal_id


async def deal_lottery(redis: Redis, show_id: str, deal_id: str) -> dict[str, Any] | None:
    """The deal's lottery field as last written, or ``None``."""
    raw = await redis.hget(keys.show_state(show_id), LOTTERY + deal_id)
    return None if raw is None else cast(dict[str, Any], orjson.loads(raw))


def _set(field: str, value: dict[str, Any]) -> StateOp:
    return ["set", field, orjson.dumps(value).decode()]


def split_state(fields: dict[str, str], now_ms: int) -> dict[str, Any]:
    """Turn the state hash into the snapshot's parts, dropping countdowns and deals that ended."""
    pins: list[dict[str, Any]] = []
    deals: list[dict[str, Any]] = []
    countdowns: list[dict[str, Any]] = []
    announcement = None
    sales_velocity: dict[str, int] = {}
    for field, raw in fields.items():
        value = orjson.loads(raw)
        if field.startswith(PIN):
            pins.append(value)
        elif field.startswith(DEAL) and (value["ends_at"] is None or value["ends_at"] > now_ms):
            deals.append(value)
        elif field.startswith(COUNTDOWN) and value["ends_at"] > now_ms:
            countdowns.append(value)
        elif field == ANNOUNCEMENT:
            announcement = value
        elif field == SALES_VELOCITY:
            sales_velocity = value
    for deal in deals:
        raw_lottery = fields.get(LOTTERY + deal["deal_id"])
        lottery = None if raw_lottery is None else orjson.loads(raw_lottery)
        if lottery is not None and lottery["started_at"] == deal["started_at"]:
            deal["lottery"] = lottery
    pins.sort(key=lambda pin: pin["at"])
    deals.sort(key=lambda deal: deal["started_at"])
    countdowns.sort(key=lambda countdown: countdown["ends_at"])
    return {
        "pins": pins,
        "deals": deals,
        "countdowns": countdowns,
        "announcement": announcement,
        "sales_velocity": sales_velocity,
    }


async def running_deal(redis: Redis, show_id: str, deal_id: str) -> dict[str, Any] | None:
    """The deal as last started in the show (ended or not), or ``None`` if it is not there."""
    raw = await redis.hget(keys.show_state(show_id), DEAL + deal_id)
    return None if raw is None else cast(dict[str, Any], orjson.loads(raw))


async def show_deals(redis: Redis, show_id: str) -> list[dict[str, Any]]:
    """Every deal the show's state holds (callers decide which are running at their time)."""
    return deals_in(cast(dict[str, str], await redis.hgetall(keys.show_state(show_id))))


def is_pinned(fields: dict[str, str], product_id: str) -> bool:
    """Whether a state hash read elsewhere has ``product_id`` pinned."""
    return PIN + product_id in fields


def deals_in(fields: dict[str, str]) -> list[dict[str, Any]]:
    """The deals of a state hash read elsewhere (e.g. in a caller's own pipeline)."""
    return [orjson.loads(raw) for field, raw in fields.items() if field.startswith(DEAL)]


def deal_location(show_id: str, deal_id: str) -> tuple[str, str]:
    """The state hash and field a Lua step reads to check, atomically, that a deal is running.

    The field holds the deal as started (JSON with ``started_at``, ``ends_at``, ``product_id``,
    ``deal_price``); it is gone once the deal ended by a cue.
    """
    return keys.show_state(show_id), DEAL + deal_id
