"""Sans-I/O bookkeeping of one viewer's frames: push latency and gaps in ``seq``.

Kept free of Locust and sockets so the rules (what is a gap, what is latency) are unit-tested alone.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# A 1012 without the drain's hint is retried after a random delay of up to this.
RESTART_JITTER_S = 2.0
# The drain's hint (livebuy.drain.RECONNECT_HINT; Locust workers need not import the server).
RECONNECT_HINT = re.compile(r"reconnect in (\d+) ms")


@dataclass(frozen=True)
class FrameReport:
    """What one received frame means for the statistics."""

    frame_type: str
    latency_ms: float
    size: int
    gap: int  # frames missing before this one (0 when in order)
    data: dict[str, Any]
    at: float | None = None  # program time of the moment on stage (ms, server clock)
    ts: float | None = None  # server send time (ms)
    received_ms: float = 0.0  # when this client received it (ms, its own clock)
    seq: int = 0  # the frame's seq (control frames repeat the last one)


class FrameTracker:
    """Follows ``seq`` across a connection: the snapshot sets the baseline, each show event is +1."""

    def __init__(self) -> None:
        self.last_seq: int | None = None
        self.epoch: str | None = None
        self.gaps = 0

    def resume_query(self) -> str:
        """``since``/``epoch`` to resume after the last frame (empty before the snapshot)."""
        if self.last_seq is None or self.epoch is None:
            return ""
        return f"since={self.last_seq}&epoch={self.epoch}"

    def receive(self, raw: str | bytes, received_ms: float) -> FrameReport:
        """Account for one frame received at ``received_ms`` (ms since the epoch)."""
        frame = json.loads(raw)
        frame_type = str(frame.get("type", "?"))
        seq = int(frame.get("seq", 0))
        gap = 0
        if frame_type == "snapshot" or self.last_seq is None:
            self.last_seq = seq
        elif seq > self.last_seq + 1 or seq < self.last_seq:
            # Ahead: frames were skipped. Behind: out of order. Both break the resume contract.
            gap = max(seq - self.last_seq - 1, 1)
            self.gaps += gap
            self.last_seq = max(seq, self.last_seq)
        else:
            # seq == last_seq + 1 is the next show event; seq == last_seq is a control frame
            # (error, pong, chat_ack, reactions...), which repeats the last seq by protocol.
            self.last_seq = seq
        data = frame.get("data")
        if frame_type == "snapshot" and isinstance(data, dict) and "epoch" in data:
            self.epoch = str(data["epoch"])
        at, ts = frame.get("at"), frame.get("ts")
        return FrameReport(
            frame_type=frame_type,
            latency_ms=max(received_ms - float(frame.get("ts", received_ms)), 0.0),
            size=len(raw),
            gap=gap,
            data=data if isinstance(data, dict) else {},
            at=float(at) if isinstance(at, int | float) else None,
            ts=float(ts) if isinstance(ts, int | float) else None,
            received_ms=received_ms,
            seq=seq,
        )


def reconnect_delay_s(reason: str) -> float:
    """The reconnect hint of a 1012 close reason (``reconnect in <ms> ms``), else a random
    delay of up to ``RESTART_JITTER_S`` so viewers dropped together do not return together."""
    hint = RECONNECT_HINT.search(reason)
    if hint is not None:
        return int(hint.group(1)) / 1000
    return random.uniform(0, RESTART_JITTER_S)


def resume_url(url: str, resume_query: str) -> str:
    """``url`` with its ``since``/``epoch`` replaced by ``resume_query`` (other parameters kept)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("since", "epoch")]
    query = "&".join(part for part in (urlencode(kept), resume_query) if part)
    return urlunsplit(parts._replace(query=query))
