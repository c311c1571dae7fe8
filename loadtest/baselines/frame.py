"""The frame both baselines broadcast: the shape of a livebuy cue frame, of a similar size."""

from __future__ import annotations

import json
import time

PAYLOAD_TEXT = "load test cue " + "x" * 40


def cue_frame(seq: int) -> str:
    """A ``cue`` frame as livebuy sends it: type, seq, at, ts (now, ms) and a small ``data``."""
    now = int(time.time() * 1000)
    data = {"cue_id": f"bench-{seq}", "kind": "announce", "text": PAYLOAD_TEXT}
    return json.dumps(
        {"type": "cue", "seq": seq, "at": now, "ts": now, "data": data}, separators=(",", ":")
    )
