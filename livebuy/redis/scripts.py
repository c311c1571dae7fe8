"""Loads Lua scripts kept as ``.lua`` files next to the module that uses them."""

from __future__ import annotations

from functools import cache
from importlib import resources

from redis.asyncio import Redis
from redis.commands.core import AsyncScript


@cache
def lua_source(package: str, name: str) -> str:
    """Source of ``<name>.lua`` inside ``package`` (shipped as package data)."""
    return resources.files(package).joinpath(f"{name}.lua").read_text(encoding="utf-8")


def register(redis: Redis, package: str, name: str) -> AsyncScript:
    """A callable script; redis-py sends EVALSHA and reloads the source after ``NOSCRIPT``."""
    return redis.register_script(lua_source(package, name))
