"""HLS playlists, pure: ffmpeg's playlist read, the viewers' playlist written and dated."""

from __future__ import annotations

from livebuy.video.playlist import (
    LocalSegment,
    SegmentEntry,
    finished_segments,
    program_date,
    render,
)

FFMPEG_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000+0000
#EXTINF:1.000000,
seg41.ts
#EXTINF:0.960000,
seg42.ts
#EXTINF:1.000000,
other.ts
"""

EPOCH = 1_795_451_401_687


def entry(number: int, generation: str, local: int, *, x: bool = False, c: int = 0) -> SegmentEntry:
    return SegmentEntry(number, generation, "1.000000", EPOCH + local * 1000, x, c)


def test_program_date_counts_whole_segments_from_the_epoch() -> None:
    """Segment n starts n segment lengths after the epoch, printed in UTC with milliseconds."""
    assert program_date(EPOCH, 0, 1000) == "2026-11-23T16:30:01.687Z"
    assert program_date(EPOCH, 3, 1000) == "2026-11-23T16:30:04.687Z"
    assert program_date(EPOCH, 3, 400) == "2026-11-23T16:30:02.887Z"


def test_finished_segments_are_read_from_ffmpegs_playlist() -> None:
    """Every listed seg<k>.ts with its duration, in order; other URIs are not segments."""
    assert finished_segments(FFMPEG_PLAYLIST) == [
        LocalSegment(41, "1.000000"),
        LocalSegment(42, "0.960000"),
    ]
    assert finished_segments("#EXTM3U\n") == []


def test_rendered_playlist_dates_every_segment_and_numbers_the_window() -> None:
    """Media sequence is the first entry's number; each segment has its date, then its EXTINF."""
    lines = render([entry(7, "a", 3, c=2), entry(8, "a", 4, c=2)], 1000).splitlines()
    assert lines[:6] == [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        "#EXT-X-TARGETDURATION:1",
        "#EXT-X-MEDIA-SEQUENCE:7",
        "#EXT-X-DISCONTINUITY-SEQUENCE:2",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    assert lines[6:] == [
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T16:30:04.687Z",
        "#EXTINF:1.000000,",
        "seg7.ts",
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T16:30:05.687Z",
        "#EXTINF:1.000000,",
        "seg8.ts",
    ]


def test_a_new_encoder_run_starts_with_a_discontinuity_that_keeps_its_number() -> None:
    """The tag precedes the new run's first segment; once it slides out, the sequence counts it."""
    with_tag = render([entry(8, "a", 4), entry(9, "b", 0, x=True, c=1)], 1000)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:0\n" in with_tag
    assert "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-11-23T16:30:01.687Z\n" in with_tag
    first_is_new = render([entry(9, "b", 0, x=True, c=1), entry(10, "b", 1, c=1)], 1000)
    assert (
        "#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-DISCONTINUITY\n"
        in (first_is_new)
    )
    slid_out = render([entry(10, "b", 1, c=1)], 1000)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:1\n" in slid_out
    assert "#EXT-X-DISCONTINUITY\n" not in slid_out


def test_entries_parse_from_the_publish_scripts_json() -> None:
    """The script's compact keys map onto the entry's fields."""
    parsed = SegmentEntry.from_json(
        {"n": 12, "g": "ab12", "d": "1.000000", "t": str(EPOCH), "x": 1, "c": 3}
    )
    assert parsed == SegmentEntry(12, "ab12", "1.000000", EPOCH, True, 3)
