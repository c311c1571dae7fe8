"""The load test's frame bookkeeping: what counts as a seq gap and as push latency."""

from __future__ import annotations

import json

from livebuy.drain import restart_reason
from loadtest.frames import RESTART_JITTER_S, FrameTracker, reconnect_delay_s, resume_url


def frame(frame_type: str, seq: int, ts: int = 1_000) -> str:
    return json.dumps({"type": frame_type, "seq": seq, "at": ts, "ts": ts, "data": {}})


def test_in_order_frames_and_control_frames_are_no_gap() -> None:
    """Snapshot, +1 show events and control frames repeating the last seq count no gap."""
    tracker = FrameTracker()
    reports = [
        tracker.receive(frame("snapshot", 7), 1_000),
        tracker.receive(frame("cue", 8), 1_000),
        tracker.receive(frame("chat_ack", 8), 1_000),
        tracker.receive(frame("error", 8), 1_000),
        tracker.receive(frame("chat", 9), 1_000),
    ]
    assert [r.gap for r in reports] == [0, 0, 0, 0, 0]
    assert tracker.gaps == 0


def test_skipped_and_out_of_order_frames_are_gaps() -> None:
    """A jump ahead counts the missing frames; a frame from the past counts one."""
    tracker = FrameTracker()
    tracker.receive(frame("snapshot", 1), 0)
    assert tracker.receive(frame("cue", 4), 0).gap == 2
    assert tracker.receive(frame("cue", 3), 0).gap == 1
    assert tracker.receive(frame("cue", 5), 0).gap == 0
    assert tracker.gaps == 3


def test_latency_is_receive_time_minus_ts() -> None:
    """Push latency is receive time − ts, never negative (clock jitter)."""
    tracker = FrameTracker()
    assert tracker.receive(frame("snapshot", 0, ts=1_000), 1_250).latency_ms == 250
    assert tracker.receive(frame("cue", 1, ts=2_000), 1_999).latency_ms == 0


def test_a_drained_viewer_resumes_after_the_hint_with_since_and_epoch() -> None:
    """After a 1012 the Locust viewer waits the hinted delay and resumes from its last frame."""
    tracker = FrameTracker()
    assert tracker.resume_query() == ""
    snapshot = {"type": "snapshot", "seq": 7, "at": 1, "ts": 1, "data": {"epoch": "e1"}}
    tracker.receive(json.dumps(snapshot), 1_000)
    tracker.receive(frame("cue", 8), 1_000)
    url = "ws://h/ws/shows/s?token=t&since=3&epoch=old"
    assert resume_url(url, tracker.resume_query()) == "ws://h/ws/shows/s?token=t&since=8&epoch=e1"
    assert reconnect_delay_s(restart_reason(1234)) == 1.234
    assert 0 <= reconnect_delay_s("show data is reloading: reconnect") <= RESTART_JITTER_S
