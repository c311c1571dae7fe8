"""The ``Player`` Locust user: a signed-in viewer who plays every game the show opens.

It votes on polls, answers quizzes (with the program time it saw), enters giveaways and grabs red
packets over the same HTTP API and websocket as the viewer page. Each action's answer lands in the
statistics as ``GAME`` / ``<action>:<outcome>`` (``vote:counted``, ``grab:rain_empty``, ...) with
its HTTP latency; ``GAME`` / ``vote_to_result`` is the time from a vote's 201 to the first live
``poll_results`` frame that includes it (``vote_to_final``: votes first included by the final).
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import gevent
from geventhttpclient.response import HTTPConnectionClosed

from loadtest.config import GAME
from loadtest.frames import FrameReport
from loadtest.games import ServerClock, VoteResults, action_outcome, snapshot_games
from loadtest.stats import report
from loadtest.users import CONFIG, Viewer

# The web client's heartbeat; a giveaway wants the entrant's socket heard within 15 s.
PING_INTERVAL_S = 5.0
GAME_KINDS = frozenset({"poll", "quiz", "giveaway", "red_packets"})
# Viewers take a moment to read a question or react to a rain; spreading the actions also keeps
# a poll's total changing, as it does at a real gala, so live results keep coming.
THINK_MAX_S = 1.5


def _now_ms() -> float:
    return time.time() * 1000


class Player(Viewer):
    """Watches with a live, signed-in socket and plays each game cue once, soon after it arrives."""

    weight = 1

    def on_start(self) -> None:
        """Join like a viewer (the session token signs the socket in), then keep it heard."""
        self._played: set[tuple[str, str]] = set()
        self._clock = ServerClock()
        self._votes = VoteResults()
        self._greenlets: list[gevent.Greenlet] = []
        super().on_start()
        self._greenlets.append(gevent.spawn(self._ping))

    def on_stop(self) -> None:
        """Stop the heartbeat and any game still being played, and leave."""
        gevent.killall(self._greenlets, block=False)
        super().on_stop()

    def _ping(self) -> None:
        while True:
            self.socket.send_json({"type": "ping", "data": {"t": int(_now_ms())}})
            gevent.sleep(PING_INTERVAL_S)

    def on_frame(self, frame: FrameReport) -> None:
        """Play each game cue (and each game already open when it joined) after a moment's
        thought; time votes against results; read pongs."""
        if frame.frame_type == "cue" and frame.data.get("kind") in GAME_KINDS:
            self._think_then_play({**frame.data, "_at": frame.at})
        elif frame.frame_type == "snapshot":
            for cue in snapshot_games(frame.data, _now_ms() + self._clock.offset_ms):
                self._think_then_play(cue)
        elif frame.frame_type == "poll_results":
            final = bool(frame.data.get("final"))
            latencies = self._votes.results(
                str(frame.data.get("poll_id")), frame.at or 0.0, final, frame.received_ms
            )
            # Votes no live frame showed (the last of a burst) first appear in the final result,
            # published a tolerance after the close: kept apart, they are not push latency.
            name = "vote_to_final" if final else "vote_to_result"
            for latency in latencies:
                report(self.environment, GAME, name, latency)
        elif frame.frame_type == "pong" and frame.ts is not None:
            sent = frame.data.get("t")
            if isinstance(sent, int | float):
                self._clock.pong(float(sent), frame.received_ms, frame.ts)

    def _think_then_play(self, cue: dict[str, Any]) -> None:
        think_s = random.uniform(0, THINK_MAX_S)
        self._greenlets.append(gevent.spawn_later(think_s, self._play_reported, cue))

    def _play_reported(self, cue: dict[str, Any]) -> None:
        # A greenlet's exception would only be printed: count it as a failure instead.
        try:
            self.play(cue)
        except Exception as crash:  # every failure of a game action is reported
            report(self.environment, GAME, f"{cue.get('kind')}:exception", 0, error=crash)

    def play(self, cue: dict[str, Any]) -> None:
        """Play one game cue, once (a resumed socket may show it again)."""
        kind = str(cue.get("kind"))
        game_id = str(
            cue.get("poll_id") or cue.get("giveaway_id") or cue.get("rain_id") or cue.get("cue_id")
        )
        if (kind, game_id) in self._played:
            return
        self._played.add((kind, game_id))
        if kind in ("poll", "quiz"):
            self.vote(kind, game_id, cue)
        elif kind == "giveaway":
            self.act("giveaway", f"giveaways/{game_id}/entries", "[giveaway]/entries", 201)
        else:
            self.act("grab", f"red-packets/{game_id}/grab", "[rain]/grab", 200)

    def vote(self, kind: str, poll_id: str, cue: dict[str, Any]) -> None:
        """Vote for a random option, with the program time this viewer's video shows (no delay:
        the server's now, never before the question appeared)."""
        options = cue.get("options") or [None, None]
        program_ms = max(_now_ms() + self._clock.offset_ms, float(cue.get("_at") or 0))
        body = {"option": random.randrange(len(options)), "program_ms": int(program_ms)}
        action = "quiz" if kind == "quiz" else "vote"
        status = self.act(action, f"polls/{poll_id}/votes", "[poll]/votes", 201, body)
        if status == 201:
            self._votes.counted(poll_id, _now_ms(), self._clock.offset_ms)

    def act(
        self, action: str, path: str, name: str, ok_status: int, body: dict[str, Any] | None = None
    ) -> int:
        """``POST /api/shows/{show}/<path>`` with the session; reports the outcome, returns the
        status."""
        return self.send_action(action, path, name, ok_status, body)[0]

    def send_action(
        self,
        action: str,
        path: str,
        name: str,
        ok_status: int,
        body: dict[str, Any] | None = None,
        method: str = "POST",
        ok_name: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """``<method> /api/shows/{show}/<path>`` with the session; reports the outcome (``ok_name``
        on ``ok_status``), returns the status and the JSON answer (``{}`` when it has none)."""
        ok_name = ok_name or {"grab": "won", "giveaway": "entered"}.get(action, "counted")
        started = time.perf_counter()
        answer: dict[str, Any] = {}
        for attempt in range(2):
            with self.client.request(
                method,
                f"/api/shows/{CONFIG.show_id}/{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"} if self.token else {},
                name=f"/api/shows/[show]/{name}",
                catch_response=True,
            ) as response:
                # A kept-alive connection the server closed while idle (uvicorn: after 5 s)
                # carried nothing to it; a browser sends the request again on a new one.
                failed = getattr(response, "error", None)  # set only on a failure
                if attempt == 0 and isinstance(failed, HTTPConnectionClosed):
                    response.request_meta["name"] = "idle connection closed: sent again"
                    response.success()
                    continue
                # Status 0: no answer at all; the connection's error says why.
                text = response.text if response.status_code else repr(failed)
                outcome, error = action_outcome(
                    action, response.status_code, text, ok_status, ok_name
                )
                if error is None:
                    response.success()
                else:
                    response.failure(error)
                status: int = response.status_code
                answer = _json_object(text)
                break
        report(
            self.environment,
            GAME,
            outcome,
            (time.perf_counter() - started) * 1000,
            error=None if error is None else RuntimeError(error),
        )
        return status, answer


def _json_object(text: str | None) -> dict[str, Any]:
    """The answer's JSON object, ``{}`` when it is not one."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
