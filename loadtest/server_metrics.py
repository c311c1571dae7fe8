"""What the server itself measured of a load test's orders: its ``/metrics`` histograms.

Locust's figures include everything before the app reads a request (the kernel's queues under a
herd of connections, Locust's own loop on a shared machine); the server's histogram of
``POST /api/orders`` (``livebuy_http_request_seconds``, from the middleware's first look at a
request to its answer) says how long the app took. Read after the run: on a server started for
the run it covers that run, on ``--host`` everything since the server started.
"""

from __future__ import annotations

import math
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

HISTOGRAM = "livebuy_http_request_seconds"
ROUTE = "/api/orders"


def scrape(host: str, timeout_s: float = 10.0) -> str:
    """The server's ``/metrics`` text."""
    with urllib.request.urlopen(f"{host}/metrics", timeout=timeout_s) as response:
        text: str = response.read().decode()
    return text


def order_answers(metrics_text: str) -> dict[str, dict[str, float]]:
    """Per status class (``2xx``, ``4xx``...) of ``POST /api/orders``: the count, and the upper
    bounds (ms) of the histogram buckets holding the median and the 99th percentile."""
    buckets: dict[str, list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(metrics_text):
        if family.name != HISTOGRAM:
            continue
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == f"{HISTOGRAM}_bucket"
                and labels.get("route") == ROUTE
                and labels.get("method") == "POST"
            ):
                buckets.setdefault(labels["status"], []).append((float(labels["le"]), sample.value))
    answers: dict[str, dict[str, float]] = {}
    for status, counts in sorted(buckets.items()):
        counts.sort()
        total = counts[-1][1]
        if total == 0:
            continue
        answers[status] = {
            "count": total,
            "p50_le_ms": _bound(counts, 0.5 * total),
            "p99_le_ms": _bound(counts, 0.99 * total),
        }
    return answers


def _bound(counts: list[tuple[float, float]], rank: float) -> float:
    """The upper bound (ms) of the first bucket whose cumulative count reaches ``rank``."""
    for upper, cumulative in counts:
        if cumulative >= rank:
            return upper * 1000 if math.isfinite(upper) else math.inf
    return math.inf
