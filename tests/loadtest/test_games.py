"""A Player's bookkeeping: the server clock, which results frame includes a vote, outcomes."""

from __future__ import annotations

import json

from websockets.asyncio.client import connect

from livebuy.clock import now_ms
from loadtest.games import BidScreen, ServerClock, VoteResults, action_outcome, snapshot_games
from tests.chat.helpers import SHOW, MakeServer
from tests.games.test_fairness import GIVEAWAY, QUIZ, RAIN
from tests.servers import receive_json


def test_clock_takes_the_pong_with_the_shortest_round_trip() -> None:
    """The offset comes from the pong with the shortest round trip; 0 before any pong."""
    clock = ServerClock()
    assert clock.offset_ms == 0.0
    clock.pong(sent_ms=1_000, received_ms=1_400, server_ms=1_500)  # rtt 400, offset 300
    clock.pong(sent_ms=2_000, received_ms=2_020, server_ms=2_060)  # rtt 20, offset 50
    assert clock.offset_ms == 50.0


def test_a_live_result_includes_only_votes_counted_before_it_was_made() -> None:
    """A live frame made before the vote's 201 does not resolve it; a later one does."""
    votes = VoteResults()
    votes.counted("p1", received_ms=10_000, offset_ms=100)  # server time 10_100
    assert votes.results("p1", at_ms=10_050, final=False, received_ms=10_010) == []
    assert votes.results("p2", at_ms=20_000, final=False, received_ms=10_300) == []
    assert votes.results("p1", at_ms=10_400, final=False, received_ms=10_350) == [350.0]
    assert votes.pending == 0


def test_a_final_result_includes_every_vote() -> None:
    """The final frame resolves every counted vote of its poll, whatever its ``at`` (the close)."""
    votes = VoteResults()
    votes.counted("q", received_ms=5_000, offset_ms=0)
    votes.counted("q", received_ms=6_000, offset_ms=0)
    assert votes.results("q", at_ms=4_000, final=True, received_ms=9_000) == [4_000.0, 3_000.0]


def test_refusals_are_outcomes_and_server_faults_are_failures() -> None:
    """A game rule refusing is a named outcome; a 5xx, a bad token or no route is a failure."""
    body = json.dumps({"error": {"code": "rain_empty", "message": "every packet is taken"}})
    assert action_outcome("grab", 200, "{}", 200, "won") == ("grab:won", None)
    assert action_outcome("grab", 409, body, 200, "won") == ("grab:rain_empty", None)
    assert action_outcome("vote", 500, "oops", 201, "counted")[1] is not None
    unauthorized = json.dumps({"error": {"code": "unauthorized", "message": "no"}})
    assert action_outcome("giveaway", 401, unauthorized, 201, "entered")[1] is not None


def test_a_bid_is_timed_to_its_frame_in_either_order() -> None:
    """Answer then frame: the gap; frame then answer: 0; other bidders' frames time nothing."""
    screen = BidScreen()
    assert screen.accepted(seq=7, received_ms=1_000) is None
    assert screen.frame(seq=6, received_ms=1_010) is None  # someone else's bid
    assert screen.frame(seq=7, received_ms=1_045) == 45.0
    assert screen.frame(seq=9, received_ms=2_000) is None  # pushed before the 200 arrived
    assert screen.accepted(seq=9, received_ms=2_020) == 0.0
    assert screen.pending == 0


async def test_a_player_joining_mid_game_plays_the_games_already_open(
    make_server: MakeServer,
) -> None:
    """The join snapshot of a real server yields the open quiz, giveaway and rain as cues to play
    (with the time each opened); a giveaway or rain whose window is over is left out."""
    server = await make_server()
    for cue in (QUIZ, RAIN, GIVEAWAY):
        await server.post_cue(SHOW, cue)
    async with connect(server.ws_url(SHOW)) as ws:
        snapshot = await receive_json(ws)
    assert snapshot["type"] == "snapshot"
    now = now_ms()
    cues = snapshot_games(snapshot["data"], now)
    played = {
        (cue["kind"], cue.get("poll_id") or cue.get("giveaway_id") or cue.get("rain_id"))
        for cue in cues
    }
    assert played == {
        ("quiz", "fair-quiz"),
        ("giveaway", "fair-giveaway"),
        ("red_packets", "fair-rain"),
    }
    assert all(0 < cue["_at"] <= now for cue in cues)
    quiz = next(cue for cue in cues if cue["kind"] == "quiz")
    assert len(quiz["options"]) == 3  # what a Player picks its answer from
    later = snapshot_games(snapshot["data"], now + 3_600_000)
    assert {cue["kind"] for cue in later} == {"quiz"}  # the server keeps a poll until final
