"""The process's services, built once by the app's lifespan and handed to every edge.

Routers get them through the typed dependencies in ``livebuy.api.deps``; the websocket endpoint
through the same accessor. One frozen container instead of loose ``app.state`` attributes means a
typo is a type error, not an ``AttributeError`` on the first request that needs the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from catalog.store import CatalogStore
from livebuy.errors import InvalidInputError, ProductNotFoundError

if TYPE_CHECKING:
    from livebuy.analytics.funnel import FunnelService
    from livebuy.analytics.service import AnalyticsService
    from livebuy.api.rate_limit import RateLimiter
    from livebuy.chat.batcher import BatcherRegistry
    from livebuy.chat.moderation import ModerationService
    from livebuy.chat.service import ChatService
    from livebuy.commerce.services import Commerce
    from livebuy.drain import Drain
    from livebuy.events.stream import ShowStream
    from livebuy.games.auctions.service import AuctionService
    from livebuy.games.drops.service import DropService
    from livebuy.games.giveaways.service import GiveawayService
    from livebuy.games.polls.pusher import PollLoops
    from livebuy.games.polls.service import PollService
    from livebuy.games.presence import ShowPresence
    from livebuy.games.red_packets.service import RedPacketService
    from livebuy.gateway.hub import HubRegistry
    from livebuy.gateway.snapshot import JoinSnapshots
    from livebuy.recovery import ContentRecovery
    from livebuy.replay.service import ReplayService
    from livebuy.sessions.service import SessionService
    from livebuy.settings import Settings
    from livebuy.shows.service import ShowService
    from livebuy.video.service import LiveVideo
    from livebuy.wallet.service import WalletService


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a request or a viewer's socket may use; one per app, alive for its lifespan."""

    settings: Settings
    redis: Redis
    catalog: CatalogStore
    stream: ShowStream
    shows: ShowService
    snapshots: JoinSnapshots
    hubs: HubRegistry
    sessions: SessionService
    rate_limiter: RateLimiter
    chat: ChatService
    moderation: ModerationService
    chat_batchers: BatcherRegistry
    commerce: Commerce
    recovery: ContentRecovery
    analytics: AnalyticsService
    # None with the live video off (``LIVEBUY_VIDEO_ENABLED=false``).
    video: LiveVideo | None
    replay: ReplayService
    # --- polls and quizzes ---
    polls: PollService
    poll_loops: PollLoops
    funnel: FunnelService
    giveaways: GiveawayService
    presence: ShowPresence
    wallet: WalletService
    red_packets: RedPacketService
    auctions: AuctionService
    drops: DropService
    # --- graceful drain (SIGTERM) ---
    drain: Drain


def catalog_store(redis: Redis) -> CatalogStore:
    """The catalog on ``redis``, raising livebuy's errors (unknown product: 404, bad page: 422)."""
    return CatalogStore(redis, unknown_product=ProductNotFoundError, bad_range=InvalidInputError)


def services_of(connection: HTTPConnection) -> Services:
    """The services of the app serving ``connection`` (an HTTP request or a websocket)."""
    services: Services = connection.app.state.services
    return services
