"""The show's state at any moment of a recording, pure: state changes of cues, applied to a hash.

A cue event on the show stream carries everything its state change needs; ``changes_of`` turns
it back into the ``[op, field, value]`` triples ``shows.state`` made for the live append, and
``apply`` does to a plain dict what ``show_append.lua`` does to the state hash, so a checkpoint
plus the few changes after it gives the hash the live show had at that moment.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from livebuy.events.state import StateOp
from livebuy.shows.models import CountdownCue, Cue, DealStartCue
from livebuy.shows.state import state_ops

_CUE = TypeAdapter[Any](Cue)
# Fields a cue event adds to its cue for viewers (not part of the run sheet's cue).
_EVENT_ONLY = {"cue_id", "product", "ends_at", "entries_close_at", "seed_hash"}
# What opening a lottery deal added to its cue event (the state keeps it with the deal).
_LOTTERY = ("entry_window_ms", "pay_hold_ms", "entries_close_at", "seed_hash")


def changes_of(data: dict[str, Any], at_ms: int) -> list[StateOp]:
    """The state changes the cue event ``data`` made at ``at_ms`` (none for a kind it cannot read).

    Durations ran at the rehearsal speed in force then: the event's own ``ends_at`` says when
    they ended, so the speed need not be known.
    """
    try:
        cue = _CUE.validate_python({k: v for k, v in data.items() if k not in _EVENT_ONLY})
    except ValidationError:
        return []
    lottery = {name: data[name] for name in _LOTTERY if data.get(name) is not None}
    ops = state_ops(cue, str(data.get("cue_id", "")), at_ms, lottery=lottery or None)
    if isinstance(cue, CountdownCue | DealStartCue):
        # The first op sets the countdown or deal; a deal's lottery op has no end of its own.
        ops = [_with_end(ops[0], data.get("ends_at")), *ops[1:]]
    return ops


def _with_end(op: StateOp, ends_at: Any) -> StateOp:
    if op[0] != "set":
        return op
    value = orjson.loads(op[2])
    value["ends_at"] = ends_at
    return [op[0], op[1], orjson.dumps(value).decode()]


def apply(fields: dict[str, str], ops: list[StateOp]) -> None:
    """Apply ``ops`` to ``fields`` in place, as ``show_append.lua`` applies them to the hash."""
    for op in ops:
        if op[0] == "set":
            fields[op[1]] = op[2]
        elif op[0] == "del":
            fields.pop(op[1], None)
        elif op[0] == "del_prefix":
            for field in [field for field in fields if field.startswith(op[1])]:
                del fields[field]
