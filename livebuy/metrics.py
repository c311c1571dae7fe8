"""Prometheus metrics of this process (served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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

# --- latency histograms (issue 16) ---
# Seconds, from a millisecond to ten seconds: a flash deal's answers and a cue's way to the wire.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A Redis script call: from a tenth of a millisecond (local Redis) to a stall.
REDIS_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5)

CUE_TO_SEND = Histogram(
    "livebuy_cue_to_send_seconds",
    "A cue's program time (at) to its frame written to the live viewers of this process",
    buckets=LATENCY_BUCKETS,
)
ORDER_SECONDS = Histogram(
    "livebuy_order_seconds",
    "POST /api/orders, in the handler, by outcome (created, replayed, error code)",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
CHAT_POST_TO_BATCH = Histogram(
    "livebuy_chat_post_to_batch_seconds",
    "A chat message's post to the chat frame that carries it appended to the show stream",
    buckets=LATENCY_BUCKETS,
)
REDIS_SCRIPT_SECONDS = Histogram(
    "livebuy_redis_script_seconds",
    "One call of a Lua script, round trip included, by script",
    ["script"],
    buckets=REDIS_BUCKETS,
)
HTTP_SECONDS = Histogram(
    "livebuy_http_request_seconds",
    "HTTP requests by method, route template and status class",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
SOLD_OUT_GATE_REFUSALS = Counter(
    "livebuy_sold_out_gate_refusals_total",
    "Buys refused by this process's sold-out gate, without the order script",
)

# Every metric with a ``show_id`` label: a show's series go with ``forget_show``.
PER_SHOW = (VIEWERS,)


def forget_show(show_id: str) -> None:
    """Remove a show's series (its last viewer left this process), so ended shows do not pile up."""
    for metric in PER_SHOW:
        try:
            metric.remove(show_id)
        except KeyError:
            # Never observed in this process.
            continue


# --- drain ---
DRAIN_CLOSES = Counter(
    "livebuy_drain_closes_total", "Viewers closed with 1012 by this process's graceful drain"
)
