"""The server's own order latency, read from its Prometheus text (``loadtest/server_metrics.py``)."""

from __future__ import annotations

import math

from loadtest.server_metrics import order_answers

BOUNDS = ("0.005", "0.01", "0.025", "0.05", "0.1", "+Inf")


def _histogram(status: str, cumulative: tuple[int, ...], route: str = "/api/orders") -> str:
    labels = f'method="POST",route="{route}",status="{status}"'
    rows = [
        f'livebuy_http_request_seconds_bucket{{le="{le}",{labels}}} {count}.0'
        for le, count in zip(BOUNDS, cumulative, strict=True)
    ]
    rows.append(f"livebuy_http_request_seconds_count{{{labels}}} {cumulative[-1]}.0")
    rows.append(f"livebuy_http_request_seconds_sum{{{labels}}} 1.0")
    return "\n".join(rows)


def test_percentile_bounds_per_status_class() -> None:
    """The median and p99 are the upper bounds of the buckets that reach them; other routes
    and methods are left out, and a tail past the last bound reads as infinite."""
    text = "\n".join(
        [
            "# HELP livebuy_http_request_seconds HTTP request duration",
            "# TYPE livebuy_http_request_seconds histogram",
            _histogram("2xx", (0, 100, 290, 300, 300, 300)),
            _histogram("4xx", (650, 690, 690, 690, 690, 700)),
            _histogram("2xx", (5, 5, 5, 5, 5, 5), route="/healthz"),
        ]
    )
    answers = order_answers(text)
    assert answers["2xx"] == {"count": 300, "p50_le_ms": 25.0, "p99_le_ms": 50.0}
    assert answers["4xx"]["p50_le_ms"] == 5.0
    assert math.isinf(answers["4xx"]["p99_le_ms"])
    assert order_answers("") == {}
