"""How each cue changes a show's current state (pins, deals, countdowns, announcement).

The state hash and its layout belong to the event log (``livebuy.events.state``); this module
only says which change each cue makes, for the Lua step that appends the cue.
"""

from __future__ import annotations

from typing import Any

from livebuy.events import state
from livebuy.events.state import StateOp
from livebuy.shows.models import (
    AnnounceClearCue,
    AnnounceCue,
    CountdownCue,
    Cue,
    DealEndCue,
    DealStartCue,
    GiveawayCue,
    PinCue,
    PollCloseCue,
    PollCue,
    QuizCue,
    RedPacketsCue,
    UnpinCue,
)


def ends_at(at_ms: int, duration_ms: int, speed: float) -> int:
    """Wall time a duration on the program clock ends, at the rehearsal speed it started at."""
    return at_ms + int(duration_ms / speed)


def state_ops(
    cue: Cue,
    cue_id: str,
    at_ms: int,
    speed: float = 1.0,
    lottery: dict[str, Any] | None = None,
) -> list[StateOp]:
    """The state changes ``cue`` makes when it plays at program time ``at_ms``.

    Durations are on the program clock, so at rehearsal ``speed`` they end sooner in wall time.
    ``lottery`` is what opening a lottery deal added to its cue (``entries_close_at``,
    ``seed_hash``, the resolved ``entry_window_ms`` and ``pay_hold_ms``).
    """
    if isinstance(cue, PinCue):
        value = {"product_id": cue.product_id, "cue_id": cue_id, "at": at_ms}
        return [state.set_pin(cue.product_id, value)]
    if isinstance(cue, UnpinCue):
        return [state.unpin(cue.product_id)]
    if isinstance(cue, CountdownCue):
        end = ends_at(at_ms, cue.duration_ms, speed)
        countdown = {"countdown_id": cue.countdown_id, "label": cue.label, "ends_at": end}
        return [state.set_countdown(cue.countdown_id, countdown)]
    if isinstance(cue, DealStartCue):
        ends = None if cue.duration_ms is None else ends_at(at_ms, cue.duration_ms, speed)
        deal = cue.model_dump(mode="json", exclude={"kind", "duration_ms"}, exclude_none=True)
        value = {**deal, **(lottery or {}), "started_at": at_ms, "ends_at": ends}
        if cue.mode != "lottery" or lottery is None:
            return [state.set_deal(cue.deal_id, value), state.end_lottery(cue.deal_id)]
        phase = {
            "deal_id": cue.deal_id,
            "started_at": at_ms,
            "phase": "entries",
            "entries_close_at": lottery["entries_close_at"],
        }
        return [state.set_deal(cue.deal_id, value), state.set_lottery(cue.deal_id, phase)]
    if isinstance(cue, DealEndCue):
        return [state.end_deal(cue.deal_id), state.end_lottery(cue.deal_id)]
    if isinstance(cue, AnnounceCue):
        return [state.set_announcement({"text": cue.text, "cue_id": cue_id, "at": at_ms})]
    if isinstance(cue, AnnounceClearCue):
        return [state.clear_announcement()]
    if isinstance(cue, PollCue | QuizCue):
        return state.open_poll(cue.poll_id, poll_value(cue, cue_id, at_ms, speed), poll_secret(cue))
    if isinstance(cue, PollCloseCue):
        return [state.close_poll(cue.poll_id, at_ms)]
    if isinstance(cue, GiveawayCue):
        # A giveaway's state lives in its own keys (livebuy.games.giveaways), not the state hash.
        return []
    if isinstance(cue, RedPacketsCue):
        rain = cue.model_dump(mode="json", exclude={"kind"})
        end = ends_at(at_ms, cue.duration_ms, speed)
        return [state.set_red_packets(cue.rain_id, {**rain, "started_at": at_ms, "ends_at": end})]
    # Auction cues are played by their own Lua step (``livebuy.games.auctions``), not through here.
    raise AssertionError(f"unhandled cue {cue!r}")


def poll_window_ms(cue: PollCue | QuizCue) -> int:
    """How long a poll is open on the program clock (a quiz: its per-question time limit)."""
    return cue.duration_ms if isinstance(cue, PollCue) else cue.time_limit_ms


def poll_value(cue: PollCue | QuizCue, cue_id: str, at_ms: int, speed: float) -> dict[str, Any]:
    """The public part of an open poll in the state hash (never a quiz's correct option)."""
    value = cue.model_dump(mode="json", exclude={"correct_option"})
    value.update(
        cue_id=cue_id,
        opened_at=at_ms,
        closes_at=ends_at(at_ms, poll_window_ms(cue), speed),
    )
    return value


def poll_secret(cue: PollCue | QuizCue) -> dict[str, Any]:
    """What only the vote step reads: a quiz's correct option (``None`` for a poll)."""
    return {"correct_option": cue.correct_option if isinstance(cue, QuizCue) else None}
