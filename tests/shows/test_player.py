"""The pure run-sheet player: which cues are due at a given moment."""

from __future__ import annotations

from livebuy.shows.models import ScheduledCue, ShowDefinition
from livebuy.shows.player import RunSheetPlayer


def make_show(offsets: list[int], *, length_ms: int = 1000, loop: bool = False) -> ShowDefinition:
    cues = [
        ScheduledCue.model_validate({"id": f"c{i}", "at": offset, "kind": "announce", "text": "x"})
        for i, offset in enumerate(offsets)
    ]
    return ShowDefinition(
        id="s", title="t", starts_at_ms=10_000, length_ms=length_ms, loop=loop, cues=cues
    )


def ids(due: list) -> list[str]:  # type: ignore[type-arg]
    return [d.dedupe_id for d in due]


def test_nothing_is_due_before_the_start() -> None:
    """Before the stream starts no cue plays."""
    player = RunSheetPlayer(make_show([0, 100]))
    assert player.step(9_999) == []


def test_cues_play_once_at_their_offset() -> None:
    """Each cue is returned by exactly one step: the first at or after its program time."""
    player = RunSheetPlayer(make_show([0, 100, 250]))
    assert ids(player.step(10_000)) == ["run0:c0"]
    assert ids(player.step(10_099)) == []
    assert ids(player.step(10_100)) == ["run0:c1"]
    due = player.step(10_900)
    assert ids(due) == ["run0:c2"] and due[0].at_ms == 10_250
    assert player.step(20_000) == []


def test_speed_compresses_the_program_clock() -> None:
    """At speed 4 a cue at offset 400 plays 100 ms after the start."""
    player = RunSheetPlayer(make_show([400]), speed=4)
    assert player.step(10_099) == []
    due = player.step(10_100)
    assert ids(due) == ["run0:c0"] and due[0].at_ms == 10_100


def test_looping_show_plays_every_run_with_distinct_ids() -> None:
    """A looping sheet replays; each run's cue has its own dedupe id and program time."""
    player = RunSheetPlayer(make_show([0, 500], loop=True))
    assert ids(player.step(10_000)) == ["run0:c0"]
    due = player.step(12_000)
    assert ids(due) == ["run0:c1", "run1:c0", "run1:c1", "run2:c0"]
    assert [d.at_ms for d in due] == [10_500, 11_000, 11_500, 12_000]


def test_first_step_catches_up_only_within_the_window() -> None:
    """A player taking over replays cues missed within catch_up_ms, not older ones."""
    player = RunSheetPlayer(make_show([0, 300, 600]), catch_up_ms=450)
    assert ids(player.step(10_700)) == ["run0:c1", "run0:c2"]
    player.reset()
    assert ids(player.step(10_700)) == ["run0:c1", "run0:c2"]
