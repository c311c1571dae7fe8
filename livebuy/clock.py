"""Wall-clock time in the unit every livebuy timestamp uses: ms since the Unix epoch, UTC."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]


def now_ms() -> int:
    """Current wall-clock time in ms since the Unix epoch."""
    return time.time_ns() // 1_000_000
