"""Typed FastAPI dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from livebuy.settings import Settings


def get_redis(request: Request) -> Redis:
    """The process-wide Redis client created by the app's lifespan."""
    redis: Redis = request.app.state.redis
    return redis


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


RedisDep = Annotated[Redis, Depends(get_redis)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
