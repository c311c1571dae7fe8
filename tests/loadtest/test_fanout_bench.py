"""The fan-out benchmark's harness on a tiny run: every server delivers every cue to every client."""

from __future__ import annotations

import argparse
from pathlib import Path

from loadtest.fanout_bench import bench


async def test_tiny_run_delivers_everything_to_every_server(tmp_path: Path) -> None:
    """floor, naive and livebuy each deliver cues × connections frames, with CPU and latency."""
    args = argparse.Namespace(
        counts=[20],
        servers=["floor", "naive", "livebuy"],
        phase_seconds=0.4,
        burst=3,
        logs=None,
        # The harness is under test, not the figures: no waiting for a server to go idle.
        settle_seconds=1.0,
    )
    results = await bench(args)
    assert {(r.server, r.phase) for r in results} == {
        (server, phase)
        for server in ("floor", "naive", "livebuy")
        for phase in ("5/s", "20/s", "burst 3")
    }
    for result in results:
        assert result.connections == 20
        assert result.deliveries == result.expected == result.cues * 20, result
        assert result.latency_max_ms >= result.latency_p99_ms >= result.latency_p50_ms >= 0
