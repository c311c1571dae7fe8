"""Which cue an action of the funnel is credited to: the pin or deal cue on air when it happened.

The show's state hash holds the products pinned now (``pin:<product>``, with the pin's cue id and
program time) and the deals running now (``deal:<id>``, with their start). The cue on air is the
one of them that went on air last, at or before the action; a deal wins a tie with a pin, since
the deal is the more specific offer. An action while nothing is pinned and no deal runs is
credited to ``NO_CUE``.
"""

from __future__ import annotations

from typing import Any

import orjson

from livebuy.events.state import DEAL, PIN

# Attribution key of an action taken while no pin and no deal was on air.
NO_CUE = "-"
# A deal's attribution key: its deal id (the state does not keep the deal cue's id; the report
# finds that cue by its deal id in the show's stream).
DEAL_PREFIX = "deal:"


def deal_key(deal_id: str) -> str:
    """The attribution key of a deal."""
    return DEAL_PREFIX + deal_id


# A cue that may be credited: (on-air time, tie rank, attribution key).
Candidate = tuple[int, int, str]


def on_air(fields: dict[str, str], at: int) -> str:
    """The attribution key of the cue on air at ``at`` (ms) given the show's state ``fields``.

    A pin or deal that went on air after ``at`` (the cue changed between the action and its
    count) is not credited; the action then falls to the latest one before it, or ``NO_CUE``.
    """
    return latest_on_air(candidates(fields), at)


def candidates(fields: dict[str, str]) -> list[Candidate]:
    """Every pin and deal of the show's state ``fields`` that may be credited (read once for
    many actions: the state's JSON is parsed here)."""
    return [found for field, raw in fields.items() if (found := _candidate(field, raw))]


def latest_on_air(cues: list[Candidate], at: int) -> str:
    """``on_air`` over ``candidates``: the one that went on air last, at or before ``at``."""
    best: Candidate | None = None
    for candidate in cues:
        if candidate[0] > at:
            continue
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return NO_CUE if best is None else best[2]


def _candidate(field: str, raw: str) -> Candidate | None:
    # (on-air time, tie rank, key): a deal ranks above a pin of the same moment.
    if field.startswith(PIN):
        value = _json(raw)
        if value is not None and isinstance(value.get("cue_id"), str):
            return int(value.get("at") or 0), 0, value["cue_id"]
    elif field.startswith(DEAL):
        value = _json(raw)
        if value is not None:
            return int(value.get("started_at") or 0), 1, deal_key(field.removeprefix(DEAL))
    return None


def _json(raw: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
