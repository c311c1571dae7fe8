"""Sans-I/O bookkeeping of a Player: the server's clock, vote-to-result and bid-to-screen
latency, action outcomes.

Kept free of Locust and sockets so the rules (which results frame includes a vote, what is a
refusal and what a failure) are unit-tested alone.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

# Pong samples kept for the clock estimate, as the web client does (protocol.md "Heartbeat").
CLOCK_SAMPLES = 8
# Answers that are a game's rule refusing the action (closed, already done, ...), not a failure.
EXPECTED_REFUSAL_STATUSES = frozenset({400, 403, 404, 409, 422, 429})
# Frames of other bidders' bids a BidScreen keeps, for an answer that arrives after its frame.
FRAMES_REMEMBERED = 256


class ServerClock:
    """The server's clock offset (server − client, ms) from heartbeat pongs.

    A pong for a ping sent at ``t`` and received at ``t'`` with server time ``ts`` puts the offset
    at ``ts − (t + t') / 2`` within half the round trip; the sample with the shortest round trip
    of the last ``CLOCK_SAMPLES`` wins. Before the first pong the offset is 0.
    """

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=CLOCK_SAMPLES)

    def pong(self, sent_ms: float, received_ms: float, server_ms: float) -> None:
        """Account for one pong."""
        self._samples.append((received_ms - sent_ms, server_ms - (sent_ms + received_ms) / 2))

    @property
    def offset_ms(self) -> float:
        """Add to a client time to get the server's."""
        if not self._samples:
            return 0.0
        return min(self._samples)[1]


@dataclass(frozen=True)
class _Vote:
    poll_id: str
    counted_ms: float  # client clock: when the vote's 201 arrived
    counted_server_ms: float  # the same moment on the server's clock


class VoteResults:
    """Pairs each counted vote with the first ``poll_results`` frame that includes it.

    A vote is counted before its 201 is sent, so a live frame made at or after the 201 arrived
    (its ``at`` is the server time it was made) includes it; a final frame includes every vote.
    """

    def __init__(self) -> None:
        self._pending: list[_Vote] = []

    def counted(self, poll_id: str, received_ms: float, offset_ms: float) -> None:
        """A vote on ``poll_id`` got its 201 at ``received_ms`` (client clock)."""
        self._pending.append(_Vote(poll_id, received_ms, received_ms + offset_ms))

    def results(self, poll_id: str, at_ms: float, final: bool, received_ms: float) -> list[float]:
        """A ``poll_results`` frame arrived: the vote-to-result latencies (ms) it resolves."""
        done = [
            vote
            for vote in self._pending
            if vote.poll_id == poll_id and (final or at_ms >= vote.counted_server_ms)
        ]
        self._pending = [vote for vote in self._pending if vote not in done]
        return [max(received_ms - vote.counted_ms, 0.0) for vote in done]

    @property
    def pending(self) -> int:
        """Counted votes no results frame has included yet."""
        return len(self._pending)


def action_outcome(
    action: str, status: int, text: str | None, ok_status: int, ok_name: str
) -> tuple[str, str | None]:
    """The outcome name of a game action's answer (``vote:counted``, ``grab:rain_empty``, ...),
    and an error message when the answer is a failure rather than a game rule refusing."""
    if status == ok_status:
        return f"{action}:{ok_name}", None
    try:
        code = str(json.loads(text or "")["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"{action}:http_{status}", f"{status}: {(text or '')[:200]}"
    if status in EXPECTED_REFUSAL_STATUSES and code not in ("not_found", "unauthorized"):
        return f"{action}:{code}", None
    return f"{action}:{code}", f"{status}: {code}"


class BidScreen:
    """Pairs each accepted bid with its ``auction`` frame on the bidder's own socket.

    The bid's answer carries the ``seq`` of the frame its step appended; the frame can arrive
    before the answer (the push races the HTTP reply), and then the latency is 0: the bidder sees
    the bid on screen no later than it learns it was accepted.
    """

    def __init__(self) -> None:
        self._accepted: dict[int, float] = {}  # seq -> when the answer arrived (client ms)
        self._framed: dict[int, float] = {}  # seq -> when the frame arrived, before the answer

    def accepted(self, seq: int, received_ms: float) -> float | None:
        """A bid's 200 named ``seq``: its latency if the frame is already here, else None."""
        framed = self._framed.pop(seq, None)
        if framed is not None:
            return 0.0
        self._accepted[seq] = received_ms
        return None

    def frame(self, seq: int, received_ms: float) -> float | None:
        """An ``auction`` frame arrived: the latency of the accepted bid it shows, if one is
        waiting for it (None for other bidders' bids, which are remembered a while)."""
        accepted = self._accepted.pop(seq, None)
        if accepted is not None:
            return max(received_ms - accepted, 0.0)
        self._framed[seq] = received_ms
        # Other bidders' frames are never claimed; keep only the recent ones.
        if len(self._framed) > FRAMES_REMEMBERED:
            del self._framed[min(self._framed)]
        return None

    @property
    def pending(self) -> int:
        """Accepted bids whose frame has not arrived."""
        return len(self._accepted)


def snapshot_games(data: dict[str, Any], now_ms: float) -> list[dict[str, Any]]:
    """The games already open in a join snapshot, as the cues a Player plays.

    A viewer who joins mid-game plays it too: each open poll or quiz (``polls``: the part has
    only those not final), each giveaway still open for entries, each rain not yet over. Each
    cue carries ``_at``, the moment it opened (a vote's program time is never before it).
    ``now_ms`` is the server's clock.
    """
    cues: list[dict[str, Any]] = []
    for poll in data.get("polls") or []:
        cues.append({**poll, "_at": poll.get("opened_at") or 0})
    for giveaway in data.get("giveaways") or []:
        if giveaway.get("status") == "open" and giveaway.get("ends_at", 0) > now_ms:
            cues.append({**giveaway, "kind": "giveaway", "_at": giveaway.get("opened_at") or 0})
    for rain in data.get("red_packets") or []:
        if rain.get("ends_at", 0) > now_ms:
            cues.append({**rain, "kind": "red_packets", "_at": rain.get("started_at") or 0})
    return cues
