"""The FastAPI application factory and its lifespan (Redis, content, hubs, show players)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis

from catalog.demo import demo_images_dir
from catalog.store import CatalogStore
from livebuy.analytics.funnel import FunnelService
from livebuy.analytics.order_funnel import OrderFunnel
from livebuy.analytics.reporter import ViewerReporter
from livebuy.analytics.service import AnalyticsService
from livebuy.analytics.velocity import SalesVelocity
from livebuy.api import analytics as analytics_api
from livebuy.api import auctions as auctions_api
from livebuy.api import cart as cart_api
from livebuy.api import catalog as catalog_api
from livebuy.api import drops as drops_api
from livebuy.api import favorites as favorites_api
from livebuy.api import giveaways as giveaways_api
from livebuy.api import health, moderation, rate_limit, sessions, shows
from livebuy.api import orders as orders_api
from livebuy.api import polls as polls_api
from livebuy.api import red_packets as red_packets_api
from livebuy.api import replay as replay_api
from livebuy.api import video as video_routes
from livebuy.api import wallet as wallet_api
from livebuy.api.errors import ErrorMiddleware, install_error_handlers
from livebuy.api.limits import RequestLimitMiddleware
from livebuy.api.openapi import install_openapi
from livebuy.api.order_fastpath import OrderFastPath
from livebuy.api.timing import TimingMiddleware
from livebuy.background import LoopRegistry, waking
from livebuy.chat.batcher import BatcherRegistry
from livebuy.chat.moderation import ModerationService
from livebuy.chat.service import ChatService
from livebuy.commerce.coupons import CouponService
from livebuy.commerce.services import Commerce
from livebuy.commerce.skus import SkuDirectory
from livebuy.content import load_content
from livebuy.drain import Drain
from livebuy.events.stream import ShowStream
from livebuy.games.auctions.payment_methods import PaymentMethods
from livebuy.games.auctions.service import AuctionService
from livebuy.games.auctions.settlement import AuctionCloser, AuctionSettler
from livebuy.games.drops.closer import DropCloser
from livebuy.games.drops.service import DropService
from livebuy.games.giveaways.closer import GiveawayCloser
from livebuy.games.giveaways.service import GiveawayService
from livebuy.games.polls.pusher import PollLoops
from livebuy.games.polls.service import PollService
from livebuy.games.presence import ShowPresence
from livebuy.games.red_packets.publisher import RainPublisher
from livebuy.games.red_packets.service import RedPacketService
from livebuy.gateway import endpoint
from livebuy.gateway.hub import HubRegistry
from livebuy.gateway.snapshot import JoinSnapshots
from livebuy.recovery import ContentRecovery
from livebuy.redis.connection import connect
from livebuy.replay.recorder import ReplayRecorder
from livebuy.replay.service import ReplayService
from livebuy.services import Services, catalog_store
from livebuy.sessions.service import SessionService
from livebuy.settings import Settings
from livebuy.shows.player import RunSheetPlayer
from livebuy.shows.runner import PlayerRunner
from livebuy.shows.service import ShowService
from livebuy.tasks import stop_within
from livebuy.video.service import LiveVideo
from livebuy.wallet.service import WalletPolicy, WalletService
from livebuy.web import asyncapi_page
from livebuy.web import routes as web_routes

# Each shutdown step gets this long; one that hangs is logged and left behind.
SHUTDOWN_STEP_S = 5.0


def _replay(
    settings: Settings, redis_url: str, redis: Redis, shows: ShowService, catalog: CatalogStore
) -> tuple[ReplayService, list[Redis]]:
    """The replay reads, and the clients of the video's Redis they own (none with video off)."""
    if not settings.video.video_enabled:
        return ReplayService(redis, shows, catalog), []
    # Recorded segments live beside the live ones (LIVEBUY_VIDEO_REDIS_URL), copied inside it.
    video_url = settings.video.video_redis_url or redis_url
    cluster = _video_cluster(settings)
    text = connect(video_url, cluster=cluster)
    binary = connect(video_url, cluster=cluster, decode=False, max_connections=8)
    service = ReplayService(
        redis,
        shows,
        catalog,
        video_redis=text,
        video_binary=binary,
        segment_ms=settings.video.video_segment_ms,
    )
    return service, [text, binary]


def _video_cluster(settings: Settings) -> bool:
    """Whether the video's Redis is the cluster: a separate LIVEBUY_VIDEO_REDIS_URL is one Redis."""
    return settings.redis.redis_cluster and settings.video.video_redis_url is None


def create_app(settings: Settings, redis_url: str) -> FastAPI:
    """Build the app; Redis connections, content loading and show players start in the lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = connect(redis_url, cluster=settings.redis.redis_cluster)
        catalog = catalog_store(redis)
        stream = ShowStream(redis, settings.shows.stream_maxlen)
        # Games pay their prizes into it (giveaways, the poll loops' quizzes, red packets).
        wallet = WalletService(
            redis,
            WalletPolicy(
                credit_ttl_ms=settings.wallet.wallet_credit_ttl_ms,
                return_grace_ms=settings.wallet.wallet_return_grace_ms,
            ),
        )
        giveaways = GiveawayService(redis, stream, CouponService(redis), settings, wallet)
        # Lottery deals: opened with their cue, drawn by one elected closer (below).
        drops = DropService(redis, SkuDirectory(catalog), settings)
        show_service = ShowService(
            redis, stream, catalog, settings.shows.speed, giveaways=giveaways, drops=drops
        )
        hubs = HubRegistry(redis, ping_interval_s=settings.gateway.ws_ping_interval_s)
        polls = PollService(
            redis, settings.polls.poll_answer_tolerance_ms, settings.games.poll_ip_cap
        )
        # Every background loop of this process; a loop added later starts at once.
        loops = LoopRegistry()
        loops.start()
        # Each process runs a (lease-elected) chat batcher for every show it has viewers of.
        chat_batchers = BatcherRegistry(redis, stream, settings, loops)
        # Orders keep deals in memory and refuse sold-out buys from the streams the hubs read.
        commerce = Commerce.build(redis, catalog, stream, settings, follow=hubs.hub)
        hubs.watch(commerce.watch)
        # --- auctions: their cues play through their own Lua step; one process closes them ---
        methods = PaymentMethods(redis, settings.auctions.payment_method_ttl_s)
        skus = SkuDirectory(catalog)
        auctions = AuctionService(
            redis, catalog, skus, commerce.inventory, methods, maxlen=settings.shows.stream_maxlen
        )
        for kind in ("auction", "auction_cancel"):
            show_service.cue_handlers[kind] = auctions.play_cue
        settler = AuctionSettler(
            redis,
            auctions.scripts,
            skus,
            commerce.orders,
            methods,
            payment_hold_ms=settings.auctions.auction_payment_hold_ms,
        )
        auction_closer = AuctionCloser(
            redis,
            settler,
            tick_ms=settings.auctions.auction_tick_ms,
            lease_ms=settings.auctions.auction_lease_ms,
        )
        loops.add(auction_closer.loop)
        # An auction opened here ends the closer's idle rest at once (its end may be near).
        show_service.cue_handlers["auction"] = waking(auction_closer.loop, auctions.play_cue)
        drop_closer = DropCloser(
            redis,
            stream,
            skus,
            commerce.orders.policy,
            tick_ms=settings.drops.drop_tick_ms,
            lease_ms=settings.drops.drop_lease_ms,
        )
        # A cancelled or expired winner's order passes its unit on at once, not at the hold's end.
        commerce.orders.release_listeners.append(drop_closer.on_release)
        loops.add(drop_closer.loop)
        drops.scheduled.append(drop_closer.loop.wake)
        snapshots = JoinSnapshots(redis, show_service, polls, giveaways, auctions)
        loaded = await load_content(redis, catalog, show_service, settings)
        known_starts = {show.id: show.starts_at_ms for show in loaded}
        recovery = ContentRecovery(
            redis,
            hubs,
            reload=lambda: load_content(
                redis, catalog, show_service, settings, known_starts=known_starts
            ),
            snapshot=snapshots.build,
            interval_s=settings.redis.recovery_interval_s,
        )
        loops.add(recovery.loop)
        if settings.shows.play_shows:
            for show in loaded:
                runner = PlayerRunner(
                    redis,
                    show_service,
                    RunSheetPlayer(show, catch_up_ms=settings.shows.player_catch_up_ms),
                    tick_ms=settings.shows.player_tick_ms,
                    lease_ms=settings.shows.player_lease_ms,
                )
                loops.add(runner.loop)
        video = None
        if settings.video.video_enabled:
            # One ffmpeg per show across every process (lease-elected); all serve it from Redis.
            video = LiveVideo(
                settings.video.video_redis_url or redis_url,
                settings.server.data_dir / "video",
                segment_ms=settings.video.video_segment_ms,
                lease_ms=settings.video.video_lease_ms,
                cluster=_video_cluster(settings),
            )
        if video is not None:
            await video.start([show.id for show in loaded], loops)
        for loop in commerce.loops():
            loops.add(loop)
        replay, replay_clients = _replay(settings, redis_url, redis, show_service, catalog)
        if settings.replay.replay_enabled:
            for show in loaded:
                recorder = ReplayRecorder(
                    redis,
                    show_service,
                    show,
                    runs_kept=settings.replay.replay_runs_kept,
                    ttl_ms=settings.replay.replay_ttl_s * 1000,
                    interval_ms=settings.replay.replay_interval_ms,
                    lease_ms=settings.replay.replay_lease_ms,
                    video=None if video is None else video.stream(show.id),
                    video_redis=replay_clients[0] if replay_clients else None,
                )
                loops.add(recorder.loop)
        # Every process runs a (lease-elected) poll loop candidate per show.
        poll_loops = PollLoops(redis, stream, settings, loops, wallet)
        for show in loaded:
            poll_loops.ensure(show.id)
        # "N bought in the last minute": one lease-elected pusher per show across processes.
        for show in loaded:
            velocity = SalesVelocity(
                redis,
                stream,
                show.id,
                interval_ms=settings.analytics.sales_velocity_interval_ms,
                window_ms=settings.analytics.sales_velocity_window_ms,
                lease_ms=settings.analytics.sales_velocity_lease_ms,
            )
            loops.add(velocity.loop)
        giveaway_closer = GiveawayCloser(
            redis,
            giveaways,
            stream,
            tick_ms=settings.giveaways.giveaway_tick_ms,
            lease_ms=settings.shows.player_lease_ms,
        )
        loops.add(giveaway_closer.loop)
        red_packets = RedPacketService(
            redis, wallet, settings.wallet.red_packet_max_count, settings.games.red_packet_ip_cap
        )
        rains = RainPublisher(
            redis,
            stream,
            red_packets,
            interval_ms=settings.wallet.red_packets_interval_ms,
            lease_ms=settings.shows.player_lease_ms,
        )
        loops.add(rains.loop)
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
                redis, show_service, catalog, stale_ms=settings.analytics.viewer_stale_ms
            ),
            video=video,
            replay=replay,
            polls=polls,
            poll_loops=poll_loops,
            funnel=FunnelService(redis, show_service, catalog),
            giveaways=giveaways,
            presence=ShowPresence(redis),
            wallet=wallet,
            red_packets=red_packets,
            auctions=auctions,
            drops=drops,
            drain=Drain(settings.drain),
        )
        # Orders move through the shows' funnels off the request path: one elected loop.
        order_funnel = OrderFunnel(
            redis,
            app.state.services.funnel,
            interval_ms=settings.analytics.funnel_orders_interval_ms,
            lease_ms=settings.analytics.funnel_orders_lease_ms,
        )
        loops.add(order_funnel.loop)
        reporter = ViewerReporter(
            redis,
            hubs.viewer_counts,
            interval_ms=settings.analytics.viewer_report_interval_ms,
            stale_ms=settings.analytics.viewer_stale_ms,
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
            for client in replay_clients:
                await client.aclose()
            await redis.aclose()

    # No trailing-slash redirects: Starlette builds them from the Host header (an open redirect to
    # any host a client names), and every path is documented without its variants.
    app = FastAPI(
        title="livebuy",
        version="0.1.0",
        lifespan=lifespan,
        redirect_slashes=False,
        # livebuy's metrics are Prometheus's: FastAPI's OpenTelemetry would check for providers
        # on every request (2 % of a buy's CPU) to find none.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    # Read before the lifespan has built the services (the producer token, the origins).
    app.state.settings = settings
    install_error_handlers(app)
    rate_limit.install(app)
    install_openapi(app, settings)
    # Innermost: a well-formed buy skips the router (the route still declares and validates).
    app.add_middleware(OrderFastPath)
    # The first added is the innermost: it sees the route the router matched.
    app.add_middleware(TimingMiddleware)
    # The last added is the outermost: request ids and error answers cover the limits' refusals.
    app.add_middleware(
        RequestLimitMiddleware,
        max_url_bytes=settings.limits.max_url_bytes,
        max_body_bytes=settings.limits.max_body_bytes,
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
    app.include_router(polls_api.router)
    app.include_router(giveaways_api.router)
    app.include_router(wallet_api.router)
    app.include_router(red_packets_api.router)
    app.include_router(auctions_api.router)
    app.include_router(drops_api.router)
    app.mount("/catalog/images", StaticFiles(directory=demo_images_dir()), name="catalog-images")
    app.include_router(video_routes.router)
    app.include_router(replay_api.router)
    app.include_router(replay_api.video_router)
    app.include_router(web_routes.router)
    app.include_router(asyncapi_page.router)
    web_routes.mount_static(app)
    return app
