"""How each cue changes a show's current state (pins, deals, countdowns, announcement).

The state lives in one Redis hash per show, changed by the same Lua step that appends the event,
so this module only describes the change: a list of ``[op, field, value]`` for the script.
"""

from __future__ import annotations

from typing import Any

import orjson

from livebuy.shows.models import (
    AnnounceClearCue,
    AnnounceCue,
    CountdownCue,
    Cue,
    DealEndCue,
    DealStartCue,
    PinCue,
    UnpinCue,
)

StateOp = list[str]

PIN = "pin:"
DEAL = "deal:"
COUNTDOWN = "countdown:"
ANNOUNCEMENT = "announcement"


def _set(field: str, value: dict[str, Any]) -> StateOp:
    return ["set", field, orjson.dumps(value).decode()]


def ends_at(at_ms: int, duration_ms: int, speed: float) -> int:
    """Wall time a duration on the program clock ends, at the rehearsal speed it started at."""
    return at_ms + int(duration_ms / speed)


def state_ops(cue: Cue, cue_id: str, at_ms: int, speed: float = 1.0) -> list[StateOp]:
    """The state changes ``cue`` makes when it plays at program time ``at_ms``.

    Durations are on the program clock, so at rehearsal ``speed`` they end sooner in wall time.
    """
    if isinstance(cue, PinCue):
        return [
            _set(
                PIN + cue.product_id, {"product_id": cue.product_id, "cue_id": cue_id, "at": at_ms}
            )
        ]
    if isinstance(cue, UnpinCue):
        if cue.product_id is None:
            return [["del_prefix", PIN]]
        return [["del", PIN + cue.product_id]]
    if isinstance(cue, CountdownCue):
        end = ends_at(at_ms, cue.duration_ms, speed)
        value = {"countdown_id": cue.countdown_id, "label": cue.label, "ends_at": end}
        return [_set(COUNTDOWN + cue.countdown_id, value)]
    if isinstance(cue, DealStartCue):
        ends = None if cue.duration_ms is None else ends_at(at_ms, cue.duration_ms, speed)
        deal = cue.model_dump(mode="json", exclude={"kind", "duration_ms"})
        return [_set(DEAL + cue.deal_id, {**deal, "started_at": at_ms, "ends_at": ends})]
    if isinstance(cue, DealEndCue):
        return [["del", DEAL + cue.deal_id]]
    if isinstance(cue, AnnounceCue):
        return [_set(ANNOUNCEMENT, {"text": cue.text, "cue_id": cue_id, "at": at_ms})]
    if isinstance(cue, AnnounceClearCue):
        return [["del", ANNOUNCEMENT]]
    raise AssertionError(f"unhandled cue {cue!r}")


def split_state(fields: dict[str, str], now_ms: int) -> dict[str, Any]:
    """Turn the state hash into the snapshot's parts, dropping countdowns and deals that ended."""
    pins: list[dict[str, Any]] = []
    deals: list[dict[str, Any]] = []
    countdowns: list[dict[str, Any]] = []
    announcement = None
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
    pins.sort(key=lambda pin: pin["at"])
    deals.sort(key=lambda deal: deal["started_at"])
    countdowns.sort(key=lambda countdown: countdown["ends_at"])
    return {"pins": pins, "deals": deals, "countdowns": countdowns, "announcement": announcement}
