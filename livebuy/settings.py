"""Runtime configuration, read from ``LIVEBUY_*`` environment variables or a ``.env`` file.

The settings come in groups (``settings.gateway.send_queue_frames``, ``settings.chat.chat_burst``),
but every environment variable stays flat: a field keeps the name it had before the grouping, and
its variable is ``LIVEBUY_<FIELD NAME>`` whichever group holds it. Field names are therefore unique
across groups (checked at import), and one grep for ``chat_burst`` finds the variable, the field
and every reader.

Building:

- ``Settings()`` reads the environment and ``.env``; ``Settings(send_queue_frames=8, ...)`` takes
  the same flat names as keyword arguments, which win over the environment. Tests and the CLI
  build settings this way, so a test names a knob exactly as an operator does. A whole group may
  also be passed by its name (``Settings(video=VideoSettings(...))``).
- ``settings.updated(port=9000)`` is a copy with some flat values changed (validated, no
  environment read); ``settings.flat()`` is every flat name with its value (what a child process
  needs as ``LIVEBUY_*`` variables).

Adding a group for a new feature (5 lines)::

    class PollSettings(BaseModel):
        "Polls and quizzes."

        poll_max_options: int = Field(6, ge=2, description="...")

    # and in Settings:
    polls: PollSettings = Field(default_factory=PollSettings)

Nothing else: the flat variable ``LIVEBUY_POLL_MAX_OPTIONS`` is derived from the field. A field
put directly on ``Settings`` (not in a group) is read from ``LIVEBUY_<NAME>`` the same way, so
a feature's flat block keeps working until it is folded into a group.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, SecretStr, create_model, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_TOKEN = "change-me"
# Fastest rehearsal speed, at start-up and set live from the console.
MAX_SPEED = 1000.0


def _ip_network(proxy: str) -> str:
    try:
        ipaddress.ip_network(proxy, strict=False)
    except ValueError:
        raise ValueError(f"not an IP address or network: {proxy!r}") from None
    return proxy


class ServerSettings(BaseModel):
    """The process: where it listens, what it logs, its local state."""

    environment: str = Field("development", description="'production' refuses placeholder secrets")
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Field(
        Path(".livebuy"), description="embedded Redis data and other local state"
    )
    log_json: bool = True
    fault_points: list[str] = Field(
        default_factory=list,
        description="TEST ONLY: named points where the process exits at once, as kill -9 would",
    )


class RedisSettings(BaseModel):
    """Redis: which server, the embedded one's durability, content checks."""

    redis_url: str | None = Field(
        None, description="Redis to use; unset means start an embedded redis-server (demo only)"
    )
    redis_appendfsync: Literal["always", "everysec", "no"] = Field(
        "everysec",
        description="AOF fsync of the embedded Redis; 'always' loses no acknowledged order",
    )
    recovery_interval_s: float = Field(
        1.0, gt=0, description="how often each process checks that Redis still has its content"
    )
    redis_cluster: bool = Field(
        False,
        description="LIVEBUY_REDIS_URL names any node of a Redis Cluster (redis-py's cluster client)",
    )
    redis_wait_replicas: int = Field(
        0,
        ge=0,
        description="replicas that must confirm a new order (Redis WAIT) before it is answered; "
        "0 answers at once (an order a failover loses is possible)",
    )
    redis_wait_timeout_ms: int = Field(
        500,
        gt=0,
        description="how long an order waits for LIVEBUY_REDIS_WAIT_REPLICAS before a 503 "
        "not_replicated (retry with the same Idempotency-Key)",
    )


class ShowSettings(BaseModel):
    """Run sheets, the demo show and the elected show player."""

    shows_dir: Path | None = Field(None, description="extra run-sheet files (*.yaml, *.json)")
    load_demo: bool = Field(True, description="load the demo catalog and demo show at start-up")
    play_shows: bool = Field(
        True, description="run the show player (lease-elected) in this process"
    )
    speed: float = Field(
        1.0, gt=0, le=MAX_SPEED, description="rehearsal speed of the program clock"
    )
    loop_demo: bool = Field(True, description="restart the demo show when its run sheet ends")
    demo_start_delay_ms: int = Field(
        3000, ge=0, description="demo show starts this long after boot"
    )
    stream_maxlen: int = Field(50_000, ge=100, description="events kept per show for resume")
    player_tick_ms: int = Field(
        50, ge=5, description="how often the show player looks at the clock"
    )
    player_lease_ms: int = Field(5000, ge=500, description="lease held by the elected show player")
    player_catch_up_ms: int = Field(
        60_000, ge=0, description="cues missed by less than this are still played after a failover"
    )


class GatewaySettings(BaseModel):
    """The websocket gateway: origins, per-viewer queues, keepalive, slow consumers."""

    allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"],
        description="websocket Origin allow-list; clients that send no Origin (non-browsers) pass",
    )
    send_queue_frames: int = Field(1024, ge=1, description="frames queued per viewer before 4429")
    send_queue_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="bytes queued per viewer")
    max_client_frame_bytes: int = Field(
        4096, ge=128, description="bigger client frames: close 1009"
    )
    ws_ping_interval_s: float = Field(
        20.0, ge=0, description="keepalive frame to a viewer quiet this long (0: none)"
    )
    ws_ping_timeout_s: float = Field(
        20.0, gt=0, description="a peer that acknowledges nothing for interval + this is closed"
    )
    ws_slow_close_s: float = Field(
        1.0,
        gt=0,
        description="a too-slow viewer's 4429 close frame that is not out by then: reset (RST)",
    )
    ws_fast_path: bool = Field(
        True,
        description="write frames straight to uvicorn's transport (off: through ASGI send, as "
        "under another server)",
    )
    ws_kernel_send_buffer_bytes: int = Field(
        256 * 1024,
        ge=0,
        description="SO_SNDBUF of each viewer socket (0: the kernel's autotuning, up to MiBs)",
    )
    console_auth_timeout_s: float = Field(
        10.0, gt=0, description="a role=console socket must authenticate within this long"
    )


class ChatSettings(BaseModel):
    """Chat and reactions."""

    chat_batch_interval_ms: int = Field(
        100, ge=10, description="one chat frame per show per interval, from one elected batcher"
    )
    chat_readable_per_s: float = Field(
        20.0, gt=0, description="chat a person can read; floods beyond it are sampled"
    )
    chat_burst: int = Field(3, ge=1, description="per-session token bucket: burst of messages")
    chat_refill_ms: int = Field(2000, ge=1, description="per-session token bucket: one per this")
    chat_max_chars: int = Field(300, ge=1, le=2000, description="longest chat message (trimmed)")
    chat_history_maxlen: int = Field(
        2000, ge=100, description="chat messages kept per show (history and batcher backlog)"
    )
    chat_lease_ms: int = Field(3000, ge=300, description="lease held by a show's chat batcher")
    chat_blocked_words: list[str] = Field(
        default_factory=list, description="words masked in every show's chat (JSON list)"
    )
    reaction_interval_ms: int = Field(
        500, ge=10, description="one reactions frame per show per interval"
    )
    reaction_kinds: list[str] = Field(
        default_factory=lambda: ["heart", "fire", "clap", "laugh", "wow"],
        description="reaction kinds viewers may send (JSON list)",
    )
    reactions_per_s: int = Field(10, ge=1, description="reactions one session may send per second")
    chat_redis_concurrency: int = Field(
        32, ge=1, description="chat and reaction Redis calls in flight per process"
    )


class CommerceSettings(BaseModel):
    """Stock, reservations, orders and `stock` frames."""

    reservation_hold_ms: int = Field(
        600_000, ge=1000, description="unpaid orders release their units after this long"
    )
    sweeper_interval_ms: int = Field(
        1000, ge=10, description="how often expired reservations are swept"
    )
    payment_lock_ms: int = Field(
        30_000, ge=100, description="an order being charged is not expired for this long"
    )
    idempotency_ttl_ms: int = Field(
        24 * 3600 * 1000, ge=1000, description="how long an Idempotency-Key is remembered"
    )
    max_line_quantity: int = Field(10, ge=1, le=1000, description="largest quantity per line")
    push_stock: bool = Field(True, description="push `stock` frames (lease-elected process)")
    stock_push_interval_ms: int = Field(
        250, ge=10, description="at most one `stock` frame per product per this period"
    )
    sold_out_gate_ms: int = Field(
        2000,
        ge=0,
        description="a process refuses a sold-out SKU or deal itself for this long after a "
        "`stock` frame or refusal said so (a restock's frame clears it sooner); 0: off",
    )


class PaymentSettings(BaseModel):
    """The payments outbox: refunds and charge reconciliation."""

    payments_worker: bool = Field(
        True, description="run the refund and charge-reconciliation worker (lease-elected)"
    )
    payments_lease_ms: int = Field(
        5000, ge=300, description="lease held by the one process running the payments worker"
    )
    payments_tick_ms: int = Field(
        250, ge=10, description="how often the elected payments worker looks for due work"
    )
    refund_retry_base_ms: int = Field(
        1000, ge=10, description="a due refund is first retried after this; the wait then doubles"
    )
    refund_retry_max_ms: int = Field(
        300_000, ge=10, description="cap of the wait between two attempts of one refund"
    )
    reconcile_grace_ms: int = Field(
        2000,
        ge=0,
        description="a charge attempt is reconciled this long after its payment lock ran out",
    )


class VideoSettings(BaseModel):
    """The demo's live HLS test video."""

    video_enabled: bool = Field(
        False, description="run ffmpeg for the demo's live HLS test stream (data_dir/video)"
    )
    video_lease_ms: int = Field(
        5000, ge=300, description="lease of the one process per show that runs ffmpeg"
    )
    video_segment_ms: int = Field(
        1000, ge=200, le=10_000, multiple_of=40, description="HLS segment length (25 fps frames)"
    )
    video_redis_url: str | None = Field(
        None, description="Redis for the video's lease and segments (default: LIVEBUY_REDIS_URL)"
    )


class AnalyticsSettings(BaseModel):
    """The producer's live dashboard: viewers per show, and "N bought in the last minute"."""

    viewer_report_interval_ms: int = Field(
        1000, ge=50, description="how often each process reports its viewers per show to Redis"
    )
    viewer_stale_ms: int = Field(
        5000, ge=200, description="a process silent this long (crashed) drops out of the viewers"
    )
    sales_velocity_interval_ms: int = Field(
        2000,
        ge=100,
        le=60_000,
        description="how often a show's sales_velocity frame may go out (only when it changed)",
    )
    sales_velocity_window_ms: int = Field(
        60_000,
        ge=1000,
        le=600_000,
        description="the trailing window of 'N bought in the last minute' (paid units)",
    )
    sales_velocity_lease_ms: int = Field(
        5000, ge=500, description="lease electing the one process that pushes a show's velocity"
    )
    funnel_orders_interval_ms: int = Field(
        500, ge=50, le=60_000, description="how often orders are counted into the shows' funnels"
    )
    funnel_orders_lease_ms: int = Field(
        5000, ge=500, description="lease electing the one process that counts orders into funnels"
    )


class SecuritySettings(BaseModel):
    """Secrets, sessions and per-IP rate limits."""

    producer_token: SecretStr = Field(
        SecretStr(PLACEHOLDER_TOKEN), description="bearer token for the producer API and console"
    )
    session_secret: SecretStr = Field(
        SecretStr(PLACEHOLDER_TOKEN), description="HMAC key that signs viewer session tokens"
    )
    session_secret_previous: SecretStr | None = Field(
        None, description="previous session secret: its tokens stay valid while this is set"
    )
    session_unused_ttl_s: int = Field(
        3600, ge=60, description="a new session expires after this long unless it is used"
    )
    session_ttl_s: int = Field(
        7 * 24 * 3600, ge=60, description="a session's lifetime from its first use"
    )
    rate_limit_sessions_per_minute: int = Field(
        60, ge=0, description="POST /api/sessions per client IP per minute (0: no limit)"
    )
    rate_limit_sessions_burst: int = Field(
        120, ge=1, description="POST /api/sessions a client IP may make at once"
    )
    rate_limit_orders_per_minute: int = Field(
        120, ge=0, description="POST /api/orders per client IP per minute (0: no limit)"
    )
    rate_limit_orders_burst: int = Field(
        240, ge=1, description="POST /api/orders a client IP may make at once"
    )
    trusted_proxies: list[Annotated[str, AfterValidator(_ip_network)]] = Field(
        default_factory=list,
        description="proxy addresses or networks whose X-Forwarded-For is believed (JSON list)",
    )
    session_cache_ms: int = Field(
        2000,
        ge=0,
        description="a verified session is kept in process memory this long (ms; 0: off); a "
        "session gone from Redis is refused by every process at most this much later",
    )
    session_cache_size: int = Field(
        10_000, ge=0, description="verified sessions kept per process (least recently used go)"
    )


class LimitSettings(BaseModel):
    """Size limits of one HTTP request."""

    max_header_bytes: int = Field(
        32 * 1024,
        ge=1024,
        description="request line and headers of one request; over it: 431 and the connection closes",
    )
    max_url_bytes: int = Field(
        8 * 1024, ge=256, description="path and query string of one request; over it: 414"
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="body of one request (declared or streamed); over it: 413"
    )


class ReplaySettings(BaseModel):
    """Shoppable replay: what is recorded of each run, and for how long."""

    replay_enabled: bool = Field(
        True, description="record each run of every show for replay (lease-elected recorder)"
    )
    replay_runs_kept: int = Field(
        2, ge=1, le=100, description="recorded runs kept per show (events and video); older go"
    )
    replay_ttl_s: int = Field(
        7 * 24 * 3600, ge=60, description="a show's recordings go this long after their last write"
    )
    replay_interval_ms: int = Field(
        500, ge=10, description="how often the elected recorder files new events and segments"
    )
    replay_lease_ms: int = Field(
        5000, ge=300, description="lease held by the one process recording a show's replay"
    )


class PollSettings(BaseModel):
    """Polls and quizzes: result pushes, the answer tolerance, the elected loop."""

    poll_results_interval_ms: int = Field(
        500,
        ge=100,
        description="live poll results are pushed at most this often, and only when they changed",
    )
    poll_answer_tolerance_ms: int = Field(
        5000,
        ge=0,
        le=60_000,
        description=(
            "a vote whose program time is before the close counts if it arrives this long after it"
            " (the stream latency bound); the final result waits for it"
        ),
    )
    poll_tick_ms: int = Field(
        100, ge=10, description="how often the elected poll loop of a show looks for due work"
    )
    poll_lease_ms: int = Field(
        3000, ge=300, description="lease held by the one process running a show's poll loop"
    )


class GiveawaySettings(BaseModel):
    """Giveaways: who may enter, and the closer's tick."""

    giveaway_min_session_age_ms: int = Field(
        0,
        ge=0,
        description="sessions created less than this long before entering a giveaway are refused",
    )
    giveaway_ip_cap: int = Field(
        50, ge=1, description="entries to one giveaway from one client IP address"
    )
    giveaway_presence_ms: int = Field(
        15_000,
        ge=1000,
        description="a giveaway entrant's websocket to the show must have been heard this recently",
    )
    giveaway_tick_ms: int = Field(
        500,
        ge=10,
        description="how often giveaways are closed on time and their entry counts pushed",
    )


class WalletSettings(BaseModel):
    """The rewards wallet and red-packet rains."""

    wallet_credit_ttl_ms: int = Field(
        30 * 24 * 3600 * 1000,
        ge=60_000,
        description="how long a credit lot can be spent when its giver names no expiry",
    )
    wallet_return_grace_ms: int = Field(
        24 * 3600 * 1000,
        ge=0,
        description="credit a cancelled, expired or refunded order gives back lives at least this long",
    )
    red_packet_max_count: int = Field(
        100_000, ge=1, description="most packets one red-packet rain may hold"
    )
    red_packets_interval_ms: int = Field(
        500,
        ge=50,
        le=5000,
        description="how often open rains' grab counts reach viewers (aggregated, never per grab)",
    )


class AuctionSettings(BaseModel):
    """Live auctions: the closer, the second-chance hold, cards saved for bidding."""

    auction_tick_ms: int = Field(
        100, ge=10, le=5000, description="how often the elected closer looks for auctions to close"
    )
    auction_payment_hold_ms: int = Field(
        30_000,
        ge=0,
        description="after a failed charge, how long the winner may still pay before the item "
        "is offered to the next-highest bidder",
    )
    auction_lease_ms: int = Field(
        3_000, ge=100, description="lease of the process that closes and settles auctions"
    )
    payment_method_ttl_s: int = Field(
        30 * 24 * 3600, ge=60, description="how long a card saved for bidding is kept"
    )


class DropSettings(BaseModel):
    """Lottery drops (flash deals in mode ``lottery``): the window, the draw, the caps."""

    drop_entry_window_ms: int = Field(
        10_000, ge=1000, le=120_000, description="entry window of a lottery deal with none given"
    )
    drop_entry_grace_ms: int = Field(
        3_000,
        ge=0,
        le=30_000,
        description="entries still count this long after entries_close_at (viewers whose "
        "video is behind the live edge); the draw runs after it",
    )
    drop_pay_hold_ms: int = Field(
        60_000, ge=1000, description="how long a lottery winner has to pay, with none given"
    )
    drop_waitlist_max: int = Field(
        1000,
        ge=0,
        description="entries drawn after the winners kept on the waitlist; the rest lose",
    )
    drop_exclude_new_sessions: bool = Field(
        False, description="refuse entries from sessions created after the deal was announced"
    )
    drop_entries_per_minute: int = Field(
        60, ge=0, description="lottery entries per client IP per minute (0: no limit)"
    )
    drop_entries_burst: int = Field(
        30, ge=1, description="lottery entries a client IP may make at once"
    )
    drop_tick_ms: int = Field(
        200, ge=10, le=5000, description="how often the elected drop closer draws and promotes"
    )
    drop_lease_ms: int = Field(
        3_000, ge=100, description="lease of the process that draws lottery deals"
    )


class GameFairnessSettings(BaseModel):
    """Who gets the deals: per-IP caps on votes and grabs, and the per-session action limit."""

    poll_ip_cap: int = Field(
        50, ge=1, description="votes in one run of a poll or quiz from one client IP address"
    )
    red_packet_ip_cap: int = Field(
        50, ge=1, description="viewers grabbing from one red-packet rain from one client IP address"
    )
    game_actions_per_minute: int = Field(
        60,
        ge=0,
        description="votes, giveaway entries and red-packet grabs per session per minute after"
        " the burst (0: no limit)",
    )
    game_actions_burst: int = Field(
        20, ge=1, description="game actions one session may make at once"
    )


class DrainSettings(BaseModel):
    """Graceful drain on SIGTERM: not ready first, then viewers closed (1012) in spread batches."""

    drain_grace_ms: int = Field(
        1_000,
        ge=0,
        le=60_000,
        description="after SIGTERM, how long /readyz answers 503 (so a balancer stops sending "
        "viewers) before the first viewers are closed",
    )
    drain_window_ms: int = Field(
        10_000,
        ge=0,
        le=600_000,
        description="how long closing every viewer with 1012 is spread over (0: all at once)",
    )
    drain_batch_interval_ms: int = Field(
        250, ge=10, le=60_000, description="time between two batches of closes within the window"
    )
    drain_reconnect_jitter_ms: int = Field(
        2_000,
        ge=0,
        le=60_000,
        description="upper bound of the random delay each closed viewer is told to wait before "
        "reconnecting (the hint in its close reason)",
    )


class Settings(BaseModel):
    """Every knob livebuy has, in groups; tests build ``Settings(...)`` directly from flat names."""

    server: ServerSettings = Field(default_factory=ServerSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    shows: ShowSettings = Field(default_factory=ShowSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    commerce: CommerceSettings = Field(default_factory=CommerceSettings)
    payments: PaymentSettings = Field(default_factory=PaymentSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    replay: ReplaySettings = Field(default_factory=ReplaySettings)
    polls: PollSettings = Field(default_factory=PollSettings)
    giveaways: GiveawaySettings = Field(default_factory=GiveawaySettings)
    wallet: WalletSettings = Field(default_factory=WalletSettings)
    auctions: AuctionSettings = Field(default_factory=AuctionSettings)
    drops: DropSettings = Field(default_factory=DropSettings)
    games: GameFairnessSettings = Field(default_factory=GameFairnessSettings)
    drain: DrainSettings = Field(default_factory=DrainSettings)

    def __init__(self, **values: Any) -> None:
        """Read ``LIVEBUY_*`` (and ``.env``); flat keyword arguments win over the environment."""
        groups = {name: values.pop(name) for name in list(values) if name in _GROUPS}
        # Pydantic calls this for ``model_validate`` too: groups passed whole replace what was read.
        nested = _nest(_Environment(**values).model_dump())
        super().__init__(**{**nested, **groups})

    def flat(self) -> dict[str, Any]:
        """Every flat field name (``LIVEBUY_`` + its upper case) with its value."""
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            values.update(dict(value) if name in _GROUPS else {name: value})
        return values

    def updated(self, **values: Any) -> Settings:
        """A copy with the given flat fields changed, validated again; every other value is this
        one's (none comes from the environment). An unknown name is a ``TypeError``."""
        current = self.flat()
        unknown = sorted(values.keys() - current.keys())
        if unknown:
            raise TypeError(f"no such setting: {', '.join(unknown)}")
        return type(self).model_validate(_nest({**current, **values}))

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.server.environment == "production":
            if self.security.producer_token.get_secret_value() == PLACEHOLDER_TOKEN:
                raise ValueError(
                    "set LIVEBUY_PRODUCER_TOKEN: the placeholder is refused in production"
                )
            if self.security.session_secret.get_secret_value() == PLACEHOLDER_TOKEN:
                raise ValueError(
                    "set LIVEBUY_SESSION_SECRET: the placeholder is refused in production"
                )
            if self.redis.redis_url is None:
                raise ValueError("set LIVEBUY_REDIS_URL: production does not embed redis-server")
        return self


def _group_fields() -> dict[str, str]:
    """Flat field name -> the group that holds it; names must not repeat across groups."""
    owners: dict[str, str] = {}
    for group in _GROUPS:
        group_model = Settings.model_fields[group].annotation
        assert isinstance(group_model, type) and issubclass(group_model, BaseModel)
        for name in group_model.model_fields:
            if name in owners or name in Settings.model_fields:
                raise TypeError(f"setting {name!r} is in two places: LIVEBUY_ names are flat")
            owners[name] = group
    return owners


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Flat field values -> the constructor arguments of ``Settings`` (one dict per group)."""
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        group = _OWNERS.get(name)
        if group is None:
            nested[name] = value
        else:
            nested.setdefault(group, {})[name] = value
    return nested


_GROUPS = frozenset(
    name
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
)
_OWNERS = _group_fields()


def _environment_model() -> type[BaseSettings]:
    """One flat pydantic-settings model of every field: it reads and parses ``LIVEBUY_*``."""
    fields: dict[str, Any] = {}
    for name, owner in _OWNERS.items():
        group_model = Settings.model_fields[owner].annotation
        assert isinstance(group_model, type) and issubclass(group_model, BaseModel)
        info = group_model.model_fields[name]
        fields[name] = (info.annotation, info)
    for name, info in Settings.model_fields.items():
        if name not in _GROUPS:
            fields[name] = (info.annotation, info)
    return create_model("_Environment", __base__=_EnvironmentBase, **fields)


class _EnvironmentBase(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVEBUY_", env_file=".env", extra="ignore")


_Environment = _environment_model()
