"""HLS playlists, pure: read what ffmpeg wrote, write what viewers get (dated on the program clock).

ffmpeg dates segments from the moment its muxer starts, a little after the clock it burns into the
picture; dating each segment from the encoder's launch epoch instead makes the player's program
time, the clock on screen and the show's cue ``at`` times one clock, to the millisecond.

The playlist viewers get is rebuilt from the shared stream's entries (``SegmentEntry``): media
sequence numbers count on across encoders, and the first segment of a new encoder (a failover)
carries ``EXT-X-DISCONTINUITY``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SEGMENT_NAME = re.compile(r"^seg(\d{1,12})\.ts$")


@dataclass(frozen=True)
class LocalSegment:
    """A finished segment ffmpeg listed: its local number (from 0 per encoder) and duration."""

    number: int
    duration: str


@dataclass(frozen=True)
class SegmentEntry:
    """One published segment of the shared stream, as the publish script stores it.

    ``number`` is the stream's media sequence number (never reused), ``generation`` names the
    encoder run that wrote it, ``date_ms`` is the program time of its first frame,
    ``discontinuity`` marks the first segment of a new encoder after another one, and
    ``discontinuities`` counts those marks up to and including this segment.
    """

    number: int
    generation: str
    duration: str
    date_ms: int
    discontinuity: bool
    discontinuities: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SegmentEntry:
        """Parse the script's compact JSON (``n g d t x c``)."""
        return cls(
            number=int(data["n"]),
            generation=str(data["g"]),
            duration=str(data["d"]),
            date_ms=int(data["t"]),
            discontinuity=bool(int(data["x"])),
            discontinuities=int(data["c"]),
        )


def program_date(epoch_ms: int, segment_number: int, segment_ms: int) -> str:
    """ISO-8601 UTC program time of the first frame of local segment ``segment_number``."""
    return iso_date(epoch_ms + segment_number * segment_ms)


def iso_date(moment_ms: int) -> str:
    """``moment_ms`` as ISO-8601 UTC with milliseconds, the form ``EXT-X-PROGRAM-DATE-TIME`` takes."""
    moment = datetime.fromtimestamp(moment_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def finished_segments(playlist: str) -> list[LocalSegment]:
    """The segments ffmpeg's own playlist lists, in order (other URIs are ignored)."""
    segments: list[LocalSegment] = []
    duration: str | None = None
    for line in playlist.splitlines():
        if line.startswith("#EXTINF:"):
            duration = line[len("#EXTINF:") :].split(",", 1)[0]
            continue
        match = SEGMENT_NAME.match(line)
        if match is not None and duration is not None:
            segments.append(LocalSegment(int(match.group(1)), duration))
        if not line.startswith("#"):
            duration = None
    return segments


def render(entries: list[SegmentEntry], segment_ms: int) -> str:
    """The live media playlist of ``entries`` (consecutive numbers, oldest first).

    ``EXT-X-DISCONTINUITY-SEQUENCE`` counts the discontinuities that slid out of the window, so a
    segment keeps its discontinuity number from one reload to the next (RFC 8216, 6.2.1).
    """
    first = entries[0]
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        f"#EXT-X-TARGETDURATION:{math.ceil(segment_ms / 1000)}",
        f"#EXT-X-MEDIA-SEQUENCE:{first.number}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{first.discontinuities - int(first.discontinuity)}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for entry in entries:
        if entry.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{iso_date(entry.date_ms)}")
        lines.append(f"#EXTINF:{entry.duration},")
        lines.append(f"seg{entry.number}.ts")
    return "\n".join(lines) + "\n"


def render_recording(entries: list[SegmentEntry], segment_ms: int, *, ended: bool) -> str:
    """The media playlist of a recorded run (``entries`` oldest first, at least one).

    Segment URIs keep their live numbers (they need not be consecutive in a recording). While
    the run records it is an ``EVENT`` playlist (segments are only ever added); once it ended it
    is ``VOD`` with ``EXT-X-ENDLIST``. A new encoder run after a failover starts with
    ``EXT-X-DISCONTINUITY``, so a player resets its decoder and timestamps there.
    """
    # Every EXTINF, rounded, must be within the target duration (RFC 8216, 4.3.3.1).
    target = max([math.ceil(segment_ms / 1000)] + [round(float(e.duration)) for e in entries])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if ended else 'EVENT'}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for index, entry in enumerate(entries):
        if entry.discontinuity and index > 0:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{iso_date(entry.date_ms)}")
        lines.append(f"#EXTINF:{entry.duration},")
        lines.append(f"seg{entry.number}.ts")
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
