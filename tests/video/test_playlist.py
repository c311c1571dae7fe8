"""Program dates stamped on the live playlist (pure)."""

from __future__ import annotations

from livebuy.video.playlist import program_date, with_program_dates

FFMPEG_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000+0000
#EXTINF:1.000000,
seg41.ts
#EXTINF:1.000000,
seg42.ts
"""


def test_program_date_counts_whole_segments_from_the_epoch() -> None:
    """Segment n starts n segment lengths after the epoch, printed in UTC with milliseconds."""
    assert program_date(1_795_451_401_687, 0, 1000) == "2026-11-23T16:30:01.687Z"
    assert program_date(1_795_451_401_687, 3, 1000) == "2026-11-23T16:30:04.687Z"


def test_every_segment_gets_its_date_before_its_duration() -> None:
    """Each segment line is preceded by its own date and its EXTINF; ffmpeg's own date is dropped."""
    out = with_program_dates(FFMPEG_PLAYLIST, 1_795_451_401_687, 1000).splitlines()
    assert "#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000+0000" not in out
    index = out.index("seg41.ts")
    assert out[index - 2 : index] == [
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T16:30:42.687Z",
        "#EXTINF:1.000000,",
    ]
    assert out[out.index("seg42.ts") - 2] == "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T16:30:43.687Z"
    assert out[:5] == FFMPEG_PLAYLIST.splitlines()[:5]


def test_lines_that_are_not_segments_are_kept() -> None:
    """Unknown URIs get no date; tags stay in order."""
    text = "#EXTM3U\n#EXTINF:1.0,\nother.ts\n"
    assert with_program_dates(text, 0, 1000) == text
