"""Loading scripts that move store credit: ``wallet_lib.lua`` is prepended to their source."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from livebuy.redis import keys
from livebuy.redis.scripts import lua_source


def register_with_wallet(redis: Redis, package: str, name: str) -> AsyncScript:
    """``<name>.lua`` of ``package`` with the wallet's Lua functions defined before it."""
    source = lua_source("livebuy.wallet", "wallet_lib") + lua_source(package, name)
    return redis.register_script(source)


def wallet_keys(session_id: str) -> list[str]:
    """The four keys of a session's wallet, in the order the scripts take them."""
    return [
        keys.wallet_lots(session_id),
        keys.wallet_expiries(session_id),
        keys.wallet_ledger(session_id),
        keys.wallet_refs(session_id),
    ]
