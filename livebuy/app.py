"""The FastAPI application factory and its lifespan (Redis, content, hubs, show players)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from catalog.demo import demo_images_dir
from livebuy.analytics.reporter import ViewerReporter
from livebuy.analytics.service import AnalyticsService
from livebuy.api import analytics as analytics_api
from livebuy.api import auctions as auctions_api
from livebuy.api import cart as cart_api
from livebuy.api import catalog as catalog_api
from livebuy.api import favorites as favorites_api
from livebuy.api import health, moderation, rate_limit, sessions, shows
from livebuy.api import orders as orders_api
from livebuy.api import video as video_routes
from livebuy.api.errors import ErrorMiddleware, install_error_handlers
from livebuy.api.limits import RequestLimitMiddleware
from livebuy.api.openapi import install_openapi
from livebuy.background import LoopRegistry
from livebuy.chat.batcher import BatcherRegistry
from livebuy.chat.moderation import ModerationService
from livebuy.chat.service import ChatService
from livebuy.commerce.services import Commerce
from livebuy.commerce.skus import SkuDirectory
from livebuy.content import load_content
from livebuy.events.stream import ShowStream
from livebuy.games.auctions.payment_methods import PaymentMethods
from livebuy.games.auctions.service import AuctionService
from livebuy.games.auctions.settlement import AuctionCloser, AuctionSettler
from livebuy.gateway import endpoint
from livebuy.gateway.hub import HubRegistry
from livebuy.gateway.snapshot import JoinSnapshots
from livebuy.recovery import ContentRecovery
from livebuy.redis.connection import connect
from livebuy.services import Services, catalog_store
from livebuy.sessions.service import SessionService
from livebuy.settings import Settings
from livebuy.shows.player import RunSheetPlayer
from livebuy.shows.runner import PlayerRunner
from livebuy.shows.service import ShowService
from livebuy.tasks import stop_within
from livebuy.video.service import LiveVideo
from livebuy.web import routes as web_routes

# Each shutdown step gets this long; one that hangs is logged and left behind.
SHUTDOWN_STEP_S = 5.0


def create_app(settings: Settings, redis_url: str) -> FastAPI:
    """Build the app; Redis connections, content loading and show players start in the lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = connect(redis_url)
        catalog = catalog_store(redis)
        stream = ShowStream(redis, settings.stream_maxlen)
        show_service = ShowService(redis, stream, catalog, settings.speed)
        hubs = HubRegistry(redis, ping_interval_s=settings.ws_ping_interval_s)
        # Every background loop of this process; a loop added later starts at once.
        loops = LoopRegistry()
        loops.start()
        # Each process runs a (lease-elected) chat batcher for every show it has viewers of.
        chat_batchers = BatcherRegistry(redis, stream, settings, loops)
        commerce = Commerce.build(redis, catalog, stream, settings)
        # --- auctions: their cues play through their own Lua step; one process closes them ---
        methods = PaymentMethods(redis, settings.payment_method_ttl_s)
        skus = SkuDirectory(catalog)
        auctions = AuctionService(
            redis, catalog, skus, commerce.inventory, methods, maxlen=settings.stream_maxlen
        )
        for kind in ("auction", "auction_cancel"):
            show_service.cue_handlers[kind] = auctions.play_cue
        settler = AuctionSettler(
            redis,
            auctions.scripts,
            skus,
            commerce.orders,
            methods,
            payment_hold_ms=settings.auction_payment_hold_ms,
        )
        closer = AuctionCloser(
            redis, settler, tick_ms=settings.auction_tick_ms, lease_ms=settings.auction_lease_ms
        )
        loops.add(closer.loop)
        snapshots = JoinSnapshots(redis, show_service, auctions)
        loaded = await load_content(redis, catalog, show_service, settings)
        known_starts = {show.id: show.starts_at_ms for show in loaded}
        recovery = ContentRecovery(
            redis,
            hubs,
            reload=lambda: load_content(
                redis, catalog, show_service, settings, known_starts=known_starts
            ),
            snapshot=snapshots.build,
            interval_s=settings.recovery_interval_s,
        )
        loops.add(recovery.loop)
        if settings.play_shows:
            for show in loaded:
                runner = PlayerRunner(
                    redis,
                    show_service,
                    RunSheetPlayer(show, catch_up_ms=settings.player_catch_up_ms),
                    tick_ms=settings.player_tick_ms,
                    lease_ms=settings.player_lease_ms,
                )
                loops.add(runner.loop)
        video = None
        if settings.video_enabled:
            # One ffmpeg per show across every process (lease-elected); all serve it from Redis.
            video = LiveVideo(
                settings.video_redis_url or redis_url,
                settings.data_dir / "video",
                segment_ms=settings.video_segment_ms,
                lease_ms=settings.video_lease_ms,
            )
        if video is not None:
            await video.start([show.id for show in loaded], loops)
        for loop in commerce.loops():
            loops.add(loop)
        app.state.services = Services(
            settings=settings,
            redis=redis,
            catalog=catalog,
            stream=stream,
            shows=show_service,
            snapshots=snapshots,
            hubs=hubs,
            sessions=SessionService.from_settings(redis, settings),
            rate_limiter=rate_limit.RateLimiter(redis, settings),
            chat=ChatService(redis, settings),
            moderation=ModerationService(redis, stream),
            chat_batchers=chat_batchers,
            commerce=commerce,
            recovery=recovery,
            analytics=AnalyticsService(
                redis, show_service, catalog, stale_ms=settings.viewer_stale_ms
            ),
            video=video,
            auctions=auctions,
        )
        reporter = ViewerReporter(
            redis,
            hubs.viewer_counts,
            interval_ms=settings.viewer_report_interval_ms,
            stale_ms=settings.viewer_stale_ms,
        )
        loops.add(reporter.loop)
        try:
            yield
        finally:
            # Bounded by itself: each loop finishes its step (the video's ffmpeg stops, the
            # viewer counts are withdrawn, the leases released) or is cancelled.
            await loops.stop()
            if video is not None:
                await stop_within("video", SHUTDOWN_STEP_S, video.stop())
            await stop_within("hubs", SHUTDOWN_STEP_S, hubs.close())
            await redis.aclose()

    # No trailing-slash redirects: Starlette builds them from the Host header (an open redirect to
    # any host a client names), and every path is documented without its variants.
    app = FastAPI(title="livebuy", version="0.1.0", lifespan=lifespan, redirect_slashes=False)
    # Read before the lifespan has built the services (the producer token, the origins).
    app.state.settings = settings
    install_error_handlers(app)
    rate_limit.install(app)
    install_openapi(app, settings)
    # The last added is the outermost: request ids and error answers cover the limits' refusals.
    app.add_middleware(
        RequestLimitMiddleware,
        max_url_bytes=settings.max_url_bytes,
        max_body_bytes=settings.max_body_bytes,
    )
    app.add_middleware(ErrorMiddleware)
    app.include_router(health.router)
    app.include_router(catalog_api.router)
    app.include_router(shows.router)
    app.include_router(sessions.router)
    app.include_router(moderation.router)
    app.include_router(endpoint.router)
    app.include_router(favorites_api.router)
    app.include_router(cart_api.router)
    app.include_router(orders_api.router)
    app.include_router(orders_api.producer_router)
    app.include_router(analytics_api.router)
    app.include_router(auctions_api.router)
    app.mount("/catalog/images", StaticFiles(directory=demo_images_dir()), name="catalog-images")
    app.include_router(video_routes.router)
    app.include_router(web_routes.router)
    web_routes.mount_static(app)
    return app
