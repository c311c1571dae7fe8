"""Loads the ``.lua`` files that sit next to this module, once per Redis client."""

from __future__ import annotations

from functools import cache
from importlib import resources

from redis.asyncio import Redis
from redis.commands.core import AsyncScript


@cache
def lua_source(name: str) -> str:
    """Source of ``livebuy/redis/<name>.lua``."""
    return resources.files("livebuy.redis").joinpath(f"{name}.lua").read_text(encoding="utf-8")


def register(redis: Redis, name: str) -> AsyncScript:
    """A callable script; redis-py sends EVALSHA and reloads the source after ``NOSCRIPT``."""
    return redis.register_script(lua_source(name))
