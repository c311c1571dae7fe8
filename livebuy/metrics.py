"""Prometheus metrics of this process (served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

VIEWERS = Gauge("livebuy_viewers", "Connected viewers in this process", ["show_id"])
DELIVERIES = Counter("livebuy_frame_deliveries_total", "Show frames handed to viewer queues")
SLOW_CLOSES = Counter("livebuy_slow_viewer_closes_total", "Viewers closed with 4429 (too slow)")
CLIENT_ERRORS = Counter("livebuy_client_frame_errors_total", "Malformed client frames", ["code"])
CUES_PUBLISHED = Counter(
    "livebuy_cues_published_total", "Cues appended to show streams", ["source"]
)
