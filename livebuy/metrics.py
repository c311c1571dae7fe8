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

# --- chat and reactions (issue 6) ---
CHAT_POSTS = Counter("livebuy_chat_posts_total", "Chat posts by outcome", ["outcome"])
CHAT_BATCHES = Counter("livebuy_chat_batches_total", "Chat frames appended to show streams")
CHAT_SAMPLED_OUT = Counter(
    "livebuy_chat_sampled_out_total", "Chat messages left out of a sampled chat frame"
)
REACTIONS = Counter("livebuy_reactions_total", "Reactions by outcome", ["outcome"])
MODERATION_ACTIONS = Counter(
    "livebuy_moderation_actions_total", "Producer moderation actions", ["action"]
)

# --- commerce ---
ORDER_OUTCOMES = Counter(
    "livebuy_order_requests_total",
    "POST /api/orders outcomes (created, replayed, error code)",
    ["outcome"],
)
ORDER_TRANSITIONS = Counter(
    "livebuy_order_transitions_total", "Order state changes made by this process", ["status"]
)
# --- drain ---
DRAIN_CLOSES = Counter(
    "livebuy_drain_closes_total", "Viewers closed with 1012 by this process's graceful drain"
)
