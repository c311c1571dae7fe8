"""Stamp an HLS media playlist with ``EXT-X-PROGRAM-DATE-TIME`` taken from the encoder's epoch.

ffmpeg dates segments from the moment its muxer starts, a little after the clock it burns into the
picture; dating each segment from the same epoch as the picture makes the player's program time,
the clock on screen and the show's cue ``at`` times one clock, to the millisecond.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

SEGMENT_NAME = re.compile(r"^seg(\d{1,9})\.ts$")


def program_date(epoch_ms: int, segment_number: int, segment_ms: int) -> str:
    """ISO-8601 UTC program time of the first frame of segment ``segment_number``."""
    moment = datetime.fromtimestamp((epoch_ms + segment_number * segment_ms) / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def with_program_dates(playlist: str, epoch_ms: int, segment_ms: int) -> str:
    """``playlist`` with a program date before every segment (any dates ffmpeg wrote dropped).

    Segments are named ``seg<n>.ts`` and are exactly ``segment_ms`` long (one keyframe interval),
    so segment ``n`` starts ``n * segment_ms`` after the epoch.
    """
    out: list[str] = []
    pending: list[str] = []
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME"):
            continue
        if line.startswith("#EXTINF"):
            pending.append(line)
            continue
        match = SEGMENT_NAME.match(line)
        if match is not None:
            out.append(
                "#EXT-X-PROGRAM-DATE-TIME:"
                + program_date(epoch_ms, int(match.group(1)), segment_ms)
            )
        out.extend(pending)
        pending.clear()
        out.append(line)
    out.extend(pending)
    return "\n".join(out) + "\n"
