"""The event registry and docs/protocol.md name the same frames and cue kinds."""

from __future__ import annotations

import re
from pathlib import Path

from livebuy.events.models import CONTROL_FRAMES, CUE_KINDS, EVENT_TYPES

PROTOCOL = Path(__file__).parents[2] / "docs" / "protocol.md"
FIRST_CELL = re.compile(r"^\| `([a-z_]+)` \|")


def _tables(header: str) -> list[tuple[str, list[str]]]:
    """Each table whose first column is ``header``: the text that introduces it, and its names."""
    tables: list[tuple[str, list[str]]] = []
    heading = intro = ""
    paragraph_done = True
    lines = PROTOCOL.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(f"| `{header}` |"):
            names = []
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                match = FIRST_CELL.match(lines[index])
                if match:
                    names.append(match.group(1))
                index += 1
            tables.append((f"{heading} / {intro}", names))
            continue
        if line.startswith("#"):
            heading, intro, paragraph_done = line, "", True
        elif not line.strip():
            paragraph_done = True
        elif not line.startswith("|"):
            # The paragraph right before a table introduces it, however it is wrapped.
            intro = line if paragraph_done else f"{intro} {line}"
            paragraph_done = False
        index += 1
    return tables


def test_server_frames_match_the_registry() -> None:
    """Every server frame type in the protocol doc is a registered event or control frame."""
    documented = [
        name for intro, names in _tables("type") if "Server → client" in intro for name in names
    ]
    assert len(documented) == len(set(documented))
    assert set(documented) == set(EVENT_TYPES) | CONTROL_FRAMES
    assert not set(EVENT_TYPES) & CONTROL_FRAMES


def test_cue_kinds_match_the_registry() -> None:
    """Every cue kind in the protocol doc has an event model, and no other."""
    (kinds,) = [names for intro, names in _tables("kind") if "## Cues" in intro]
    assert set(kinds) == set(CUE_KINDS)
    assert set(EVENT_TYPES["cue"]) == set(CUE_KINDS.values())
