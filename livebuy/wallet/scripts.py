"""Loading scripts that move store credit: ``wallet_lib.lua`` is prepended to their source."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from livebuy.redis import keys
from livebuy.redis.lane import Script
from livebuy.redis.scripts import LuaScript, lua_source

WALLET_LIB = ("livebuy.wallet", "wallet_lib")


def register_with_wallet(redis: Redis, package: str, name: str) -> AsyncScript:
    """``<name>.lua`` of ``package`` with the wallet's Lua functions defined before it."""
    source = lua_source(*WALLET_LIB) + lua_source(package, name)
    return Script(redis, source)


@dataclass(frozen=True)
class WalletKeys:
    """The four keys of a session's wallet, in the order the scripts take them (one slot)."""

    lots: str
    expiries: str
    ledger: str
    refs: str

    @classmethod
    def of(cls, session_id: str) -> WalletKeys:
        """The wallet of ``session_id``."""
        return cls(
            lots=keys.wallet_lots(session_id),
            expiries=keys.wallet_expiries(session_id),
            ledger=keys.wallet_ledger(session_id),
            refs=keys.wallet_refs(session_id),
        )


@dataclass(frozen=True)
class CreditArgs:
    """ARGV of ``wallet_credit.lua`` (``expires_at``: ms since the epoch)."""

    now: int
    currency: str
    amount: int
    source: str
    ref: str
    expires_at: int


@dataclass(frozen=True)
class SettleArgs:
    """ARGV of ``wallet_settle.lua``."""

    now: int


WALLET_CREDIT = LuaScript("livebuy.wallet", "wallet_credit", WalletKeys, CreditArgs, WALLET_LIB)
WALLET_SETTLE = LuaScript("livebuy.wallet", "wallet_settle", WalletKeys, SettleArgs, WALLET_LIB)


def wallet_keys(session_id: str) -> list[str]:
    """The four keys of a session's wallet as a list, for the hand-wrapped order scripts."""
    wallet = WalletKeys.of(session_id)
    # By hand, not ``astuple``, which deep-copies: this runs on every order.
    return [wallet.lots, wallet.expiries, wallet.ledger, wallet.refs]
