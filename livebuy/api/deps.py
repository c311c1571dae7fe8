"""Typed FastAPI dependencies shared by the routers (and the websocket endpoint).

Every one is ``async def``: FastAPI runs plain ``def`` dependencies in a thread pool, a hop no
attribute read is worth. FastAPI caches ``get_services`` per request, so a route that takes several
of these aliases still reads ``app.state`` once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from catalog.store import CatalogStore
from livebuy.analytics.funnel import FunnelService
from livebuy.analytics.service import AnalyticsService
from livebuy.commerce.services import Commerce
from livebuy.games.auctions.service import AuctionService
from livebuy.games.drops.service import DropService
from livebuy.games.giveaways.service import GiveawayService
from livebuy.games.polls.service import PollService
from livebuy.games.red_packets.service import RedPacketService
from livebuy.gateway.snapshot import JoinSnapshots
from livebuy.replay.service import ReplayService
from livebuy.services import Services, services_of
from livebuy.sessions.service import SessionService
from livebuy.settings import Settings
from livebuy.shows.service import ShowService
from livebuy.wallet.service import WalletService

T = TypeVar("T")


async def get_services(connection: HTTPConnection) -> Services:
    """The services the app's lifespan built."""
    return services_of(connection)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(connection: HTTPConnection) -> Settings:
    """The settings the app was built with (there before the lifespan runs, unlike the services)."""
    settings: Settings = connection.app.state.settings
    return settings


def _part(pick: Callable[[Services], T]) -> Callable[[Services], Awaitable[T]]:
    """A dependency that hands a route one part of the services container."""

    async def dependency(services: ServicesDep) -> T:
        return pick(services)

    return dependency


get_redis = _part(lambda services: services.redis)
get_catalog = _part(lambda services: services.catalog)
# What a viewer gets first on joining, assembled from every domain's part.
get_snapshots = _part(lambda services: services.snapshots)
get_shows = _part(lambda services: services.shows)
# Viewer and staff sessions (not the caller's own session: that is ``SessionDep``).
get_sessions = _part(lambda services: services.sessions)
get_commerce = _part(lambda services: services.commerce)
get_analytics = _part(lambda services: services.analytics)


# The games, the replay and the console's funnel.
get_polls = _part(lambda services: services.polls)
get_funnel = _part(lambda services: services.funnel)
get_giveaways = _part(lambda services: services.giveaways)
# Store credit per session: credits, the ledger, coupons won.
get_wallet = _part(lambda services: services.wallet)
get_red_packets = _part(lambda services: services.red_packets)
get_auctions = _part(lambda services: services.auctions)
get_replay = _part(lambda services: services.replay)
# Lottery drops: entries, standings, the published draw.
get_drops = _part(lambda services: services.drops)


SettingsDep = Annotated[Settings, Depends(get_settings)]
RedisDep = Annotated[Redis, Depends(get_redis)]
CatalogDep = Annotated[CatalogStore, Depends(get_catalog)]
ShowsDep = Annotated[ShowService, Depends(get_shows)]
SnapshotsDep = Annotated[JoinSnapshots, Depends(get_snapshots)]
SessionsDep = Annotated[SessionService, Depends(get_sessions)]
CommerceDep = Annotated[Commerce, Depends(get_commerce)]
AnalyticsDep = Annotated[AnalyticsService, Depends(get_analytics)]
ReplayDep = Annotated[ReplayService, Depends(get_replay)]
PollsDep = Annotated[PollService, Depends(get_polls)]
FunnelDep = Annotated[FunnelService, Depends(get_funnel)]
GiveawaysDep = Annotated[GiveawayService, Depends(get_giveaways)]
WalletDep = Annotated[WalletService, Depends(get_wallet)]
RedPacketsDep = Annotated[RedPacketService, Depends(get_red_packets)]
AuctionsDep = Annotated[AuctionService, Depends(get_auctions)]
DropsDep = Annotated[DropService, Depends(get_drops)]
