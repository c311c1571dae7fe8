"""The pure run-sheet player: which cues are due at a given moment on a given timeline."""

from __future__ import annotations

from livebuy.shows.models import ScheduledCue, ShowDefinition
from livebuy.shows.player import DueCue, RunSheetPlayer
from livebuy.shows.timeline import Segment, Timeline


def make_show(offsets: list[int], *, length_ms: int = 1000, loop: bool = False) -> ShowDefinition:
    cues = [
        ScheduledCue.model_validate({"id": f"c{i}", "at": offset, "kind": "announce", "text": "x"})
        for i, offset in enumerate(offsets)
    ]
    return ShowDefinition(
        id="s", title="t", starts_at_ms=10_000, length_ms=length_ms, loop=loop, cues=cues
    )


def flat(show: ShowDefinition, speed: float = 1.0) -> Timeline:
    return Timeline.initial(show.starts_at_ms, speed)


def ids(due: list[DueCue]) -> list[str]:
    return [d.dedupe_id for d in due]


def test_nothing_is_due_before_the_start() -> None:
    """Before the stream starts no cue plays."""
    show = make_show([0, 100])
    assert RunSheetPlayer(show).step(9_999, flat(show)) == []


def test_cues_play_once_at_their_offset() -> None:
    """Each cue is returned by exactly one step: the first at or after its program time."""
    show = make_show([0, 100, 250])
    player, timeline = RunSheetPlayer(show), flat(show)
    assert ids(player.step(10_000, timeline)) == ["run0:c0"]
    assert ids(player.step(10_099, timeline)) == []
    assert ids(player.step(10_100, timeline)) == ["run0:c1"]
    due = player.step(10_900, timeline)
    assert ids(due) == ["run0:c2"] and due[0].at_ms == 10_250
    assert player.step(20_000, timeline) == []


def test_speed_compresses_the_program_clock() -> None:
    """At speed 4 a cue at offset 400 plays 100 ms after the start."""
    show = make_show([400])
    player, timeline = RunSheetPlayer(show), flat(show, 4)
    assert player.step(10_099, timeline) == []
    due = player.step(10_100, timeline)
    assert ids(due) == ["run0:c0"] and due[0].at_ms == 10_100


def test_looping_show_plays_every_run_with_distinct_ids() -> None:
    """A looping sheet replays; each run's cue has its own dedupe id and program time."""
    show = make_show([0, 500], loop=True)
    player, timeline = RunSheetPlayer(show), flat(show)
    assert ids(player.step(10_000, timeline)) == ["run0:c0"]
    due = player.step(12_000, timeline)
    assert ids(due) == ["run0:c1", "run1:c0", "run1:c1", "run2:c0"]
    assert [d.at_ms for d in due] == [10_500, 11_000, 11_500, 12_000]


def test_first_step_catches_up_only_within_the_window() -> None:
    """A player taking over replays cues missed within catch_up_ms, not older ones."""
    show = make_show([0, 300, 600])
    player, timeline = RunSheetPlayer(show, catch_up_ms=450), flat(show)
    assert ids(player.step(10_700, timeline)) == ["run0:c1", "run0:c2"]
    player.reset()
    assert ids(player.step(10_700, timeline)) == ["run0:c1", "run0:c2"]


def retimed(show: ShowDefinition, *changes: tuple[int, float, bool]) -> Timeline:
    """A timeline with speed changes ``(wall_ms, speed, paused)`` anchored like the Lua step."""
    segments = [Segment(show.starts_at_ms, 0, 1.0, False)]
    for wall, speed, paused in changes:
        last = segments[-1]
        sheet = int(last.sheet_ms + (wall - last.wall_ms) * last.rate)
        segments.append(Segment(wall, sheet, speed, paused))
    return Timeline(version=len(changes), segments=tuple(segments))


def test_speed_change_mid_run_plays_every_cue_once_at_the_new_rate() -> None:
    """Speeding up between two steps: no cue repeated or skipped, later cues come 4x sooner."""
    show = make_show(list(range(0, 1000, 100)), loop=True)
    player = RunSheetPlayer(show)
    before = flat(show)
    after = retimed(show, (10_250, 4.0, False))
    played = ids(player.step(10_000, before)) + ids(player.step(10_240, before))
    assert played == ["run0:c0", "run0:c1", "run0:c2"]
    # The change lands between steps; the next step already sees it.
    due = player.step(10_400, after)
    # At 10_400 the head is at 250 + 150 * 4 = 850.
    assert ids(due) == ["run0:c3", "run0:c4", "run0:c5", "run0:c6", "run0:c7", "run0:c8"]
    # Each at the wall time the head reached it: 250 + (t - 10_250) * 4 == offset.
    assert [abs(d.at_ms - (10_250 + (d.line.offset_ms - 250) / 4)) <= 0.5 for d in due] == [
        True
    ] * 6
    due = player.step(10_600, after)
    assert ids(due) == ["run0:c9", *(f"run1:c{i}" for i in range(7))]
    assert abs(due[1].at_ms - (10_250 + (1000 - 250) / 4)) <= 0.5


def test_pause_holds_and_resume_continues_where_it_stopped() -> None:
    """Paused, no step plays anything however long; resumed, the next cue comes after its gap."""
    show = make_show([0, 300, 600])
    player = RunSheetPlayer(show)
    paused = retimed(show, (10_200, 1.0, True))
    assert ids(player.step(10_000, paused)) == ["run0:c0"]
    for now in (10_300, 20_000, 500_000):
        assert player.step(now, paused) == []
    resumed = retimed(show, (10_200, 1.0, True), (600_000, 2.0, False))
    assert player.step(600_049, resumed) == []
    due = player.step(600_050, resumed)
    # The head was held at 200; at speed 2 it reaches 300 after 50 ms.
    assert ids(due) == ["run0:c1"] and due[0].at_ms == 600_050
    assert ids(player.step(600_200, resumed)) == ["run0:c2"]


def test_new_lease_holder_on_the_same_timeline_names_runs_alike() -> None:
    """A player taking over after a speed change catches up with the same run ids, none lost."""
    show = make_show([0, 400, 800], loop=True)
    timeline = retimed(show, (10_500, 5.0, False))
    first = RunSheetPlayer(show, catch_up_ms=60_000)
    played = ids(first.step(10_000, timeline)) + ids(first.step(10_520, timeline))
    assert played == ["run0:c0", "run0:c1"]
    # The first player dies; the second takes over later and catches up from the same timeline.
    second = RunSheetPlayer(show, catch_up_ms=60_000)
    # At 10_700 the head is at 500 + 200 * 5 = 1500.
    caught_up = ids(second.step(10_700, timeline))
    assert caught_up == ["run0:c0", "run0:c1", "run0:c2", "run1:c0", "run1:c1"]
    assert set(played) <= set(caught_up)


def test_catch_up_maps_the_window_through_earlier_segments() -> None:
    """The catch-up window is mapped by the speeds in force back then, not today's speed."""
    show = make_show([0, 1000, 2000, 3000], length_ms=10_000)
    # Speed 1 until 10_100 (head 100), 10 until 10_300 (head 2100), then 0.1.
    timeline = retimed(show, (10_100, 10.0, False), (10_300, 0.1, False))
    player = RunSheetPlayer(show, catch_up_ms=250)
    # Window from 10_099 (head 99) to 10_350 (head 2105): today's speed alone would see none.
    due = player.step(10_350, timeline)
    assert ids(due) == ["run0:c1", "run0:c2"]
    assert [d.at_ms for d in due] == [10_190, 10_290]
