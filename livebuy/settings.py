"""Runtime configuration, read from ``LIVEBUY_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_TOKEN = "change-me"
# Fastest rehearsal speed, at start-up and set live from the console.
MAX_SPEED = 1000.0


class Settings(BaseSettings):
    """Every knob livebuy has; tests build ``Settings(...)`` directly instead of touching the env."""

    model_config = SettingsConfigDict(env_prefix="LIVEBUY_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="'production' refuses placeholder secrets")
    redis_url: str | None = Field(
        None, description="Redis to use; unset means start an embedded redis-server (demo only)"
    )
    data_dir: Path = Field(
        Path(".livebuy"), description="embedded Redis data and other local state"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    producer_token: SecretStr = Field(
        SecretStr(PLACEHOLDER_TOKEN), description="bearer token for the producer API and console"
    )
    session_secret: SecretStr = Field(
        SecretStr(PLACEHOLDER_TOKEN), description="HMAC key that signs viewer session tokens"
    )
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"],
        description="websocket Origin allow-list; clients that send no Origin (non-browsers) pass",
    )
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
    send_queue_frames: int = Field(1024, ge=1, description="frames queued per viewer before 4429")
    send_queue_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="bytes queued per viewer")
    max_client_frame_bytes: int = Field(
        4096, ge=128, description="bigger client frames: close 1009"
    )
    ws_ping_interval_s: float = Field(
        20.0, ge=0, description="keepalive ping to every viewer this often (0: none)"
    )
    ws_ping_timeout_s: float = Field(
        20.0, gt=0, description="a peer that acknowledges nothing for interval + this is closed"
    )
    player_tick_ms: int = Field(
        50, ge=5, description="how often the show player looks at the clock"
    )
    player_lease_ms: int = Field(5000, ge=500, description="lease held by the elected show player")
    player_catch_up_ms: int = Field(
        60_000, ge=0, description="cues missed by less than this are still played after a failover"
    )
    log_json: bool = True
    # --- chat and reactions (issue 6) ---
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
    # --- commerce ---
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
    redis_appendfsync: Literal["always", "everysec", "no"] = Field(
        "everysec",
        description="AOF fsync of the embedded Redis; 'always' loses no acknowledged order",
    )

    # --- web pages and demo video (issue 3) ---
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
    # --- analytics: the producer's live dashboard (console item 3) ---
    viewer_report_interval_ms: int = Field(
        1000, ge=50, description="how often each process reports its viewers per show to Redis"
    )
    viewer_stale_ms: int = Field(
        5000, ge=200, description="a process silent this long (crashed) drops out of the viewers"
    )
    # --- gateway recovery and slow consumers ---
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
    recovery_interval_s: float = Field(
        1.0, gt=0, description="how often each process checks that Redis still has its content"
    )

    # --- security: sessions, secrets, rate limits ---
    session_secret_previous: SecretStr | None = Field(
        None, description="previous session secret: its tokens stay valid while this is set"
    )
    session_unused_ttl_s: int = Field(
        3600, ge=60, description="a new session expires after this long unless it is used"
    )
    session_ttl_s: int = Field(
        7 * 24 * 3600, ge=60, description="a session's lifetime from its first use"
    )
    console_auth_timeout_s: float = Field(
        10.0, gt=0, description="a role=console socket must authenticate within this long"
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
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="proxy addresses or networks whose X-Forwarded-For is believed (JSON list)",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {proxy!r}") from None
        return proxies

    # --- payments outbox ---
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
    fault_points: list[str] = Field(
        default_factory=list,
        description="TEST ONLY: named points where the process exits at once, as kill -9 would",
    )

    # --- request limits ---
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

    # --- auctions ---
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

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.environment == "production":
            if self.producer_token.get_secret_value() == PLACEHOLDER_TOKEN:
                raise ValueError(
                    "set LIVEBUY_PRODUCER_TOKEN: the placeholder is refused in production"
                )
            if self.session_secret.get_secret_value() == PLACEHOLDER_TOKEN:
                raise ValueError(
                    "set LIVEBUY_SESSION_SECRET: the placeholder is refused in production"
                )
            if self.redis_url is None:
                raise ValueError("set LIVEBUY_REDIS_URL: production does not embed redis-server")
        return self
