"""Typed FastAPI dependencies shared by the routers (and the websocket endpoint).

Every one is ``async def``: FastAPI runs plain ``def`` dependencies in a thread pool, a hop no
attribute read is worth. FastAPI caches ``get_services`` per request, so a route that takes several
of these aliases still reads ``app.state`` once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from catalog.store import CatalogStore
from livebuy.analytics.service import AnalyticsService
from livebuy.commerce.services import Commerce
from livebuy.games.auctions.service import AuctionService
from livebuy.gateway.snapshot import JoinSnapshots
from livebuy.services import Services, services_of
from livebuy.sessions.service import SessionService
from livebuy.settings import Settings
from livebuy.shows.service import ShowService


async def get_services(connection: HTTPConnection) -> Services:
    """The services the app's lifespan built."""
    return services_of(connection)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(connection: HTTPConnection) -> Settings:
    """The settings the app was built with (there before the lifespan runs, unlike the services)."""
    settings: Settings = connection.app.state.settings
    return settings


async def get_redis(services: ServicesDep) -> Redis:
    """The process-wide Redis client."""
    return services.redis


async def get_catalog(services: ServicesDep) -> CatalogStore:
    """The catalog store."""
    return services.catalog


async def get_snapshots(services: ServicesDep) -> JoinSnapshots:
    """Join snapshots: what a viewer gets first, assembled from every domain's part."""
    return services.snapshots


async def get_shows(services: ServicesDep) -> ShowService:
    """Shows: definitions, state, cues and timelines."""
    return services.shows


async def get_sessions(services: ServicesDep) -> SessionService:
    """Viewer and staff sessions (not the caller's own session: that is ``SessionDep``)."""
    return services.sessions


async def get_commerce(services: ServicesDep) -> Commerce:
    """Cart, favorites, orders, coupons and inventory."""
    return services.commerce


async def get_analytics(services: ServicesDep) -> AnalyticsService:
    """The producer's dashboard figures."""
    return services.analytics


async def get_auctions(services: ServicesDep) -> AuctionService:
    """Live auctions: their cues, bids and saved cards."""
    return services.auctions


SettingsDep = Annotated[Settings, Depends(get_settings)]
RedisDep = Annotated[Redis, Depends(get_redis)]
CatalogDep = Annotated[CatalogStore, Depends(get_catalog)]
ShowsDep = Annotated[ShowService, Depends(get_shows)]
SnapshotsDep = Annotated[JoinSnapshots, Depends(get_snapshots)]
SessionsDep = Annotated[SessionService, Depends(get_sessions)]
CommerceDep = Annotated[Commerce, Depends(get_commerce)]
AnalyticsDep = Annotated[AnalyticsService, Depends(get_analytics)]
AuctionsDep = Annotated[AuctionService, Depends(get_auctions)]
