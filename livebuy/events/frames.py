"""Frame text: ``{"type", "seq", "at", "ts", "data"}`` built by string assembly.

Stored events keep ``data`` as JSON text, so delivering one costs a format string, not a dump.
"""

from __future__ import annotations

from typing import Any

import orjson


def encode_frame(frame_type: str, seq: int, at: int, ts: int, data_json: str) -> str:
    """One frame as JSON text; ``data_json`` is already encoded, so this is string assembly only."""
    return f'{{"type":"{frame_type}","seq":{seq},"at":{at},"ts":{ts},"data":{data_json}}}'


def encode_data(data: Any) -> str:
    """JSON text of a frame's ``data``."""
    return orjson.dumps(data).decode()
