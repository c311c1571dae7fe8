"""A serving process's garbage collector, once start-up is done (``livebuy/gc_tuning.py``)."""

from __future__ import annotations

import subprocess
import sys

from livebuy.gc_tuning import YOUNG_THRESHOLD

# Run apart: freezing the test process's objects would keep every test's garbage for good.
PROBE = """
import gc
from livebuy.gc_tuning import settle_after_startup
made_at_startup = [[n] for n in range(1000)]
settle_after_startup()
print(gc.get_threshold()[0], gc.get_freeze_count() >= 1000)
"""


def test_startup_objects_are_frozen_and_young_collections_are_rarer() -> None:
    """What start-up made is out of the collector's walks, and young collections wait longer."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out == [str(YOUNG_THRESHOLD), "True"]
