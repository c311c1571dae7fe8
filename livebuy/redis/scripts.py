"""Loads Lua scripts kept as ``.lua`` files next to the module that uses them.

``LuaScript`` declares a script's KEYS and ARGV by name; ``register`` loads one undeclared.
"""

from __future__ import annotations

import time
from dataclasses import Field, dataclass, field, fields
from functools import cache
from importlib import resources
from typing import Any, ClassVar, Generic, TypeVar

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from livebuy import metrics
from livebuy.redis.lane import Script, lane_of

KeysT = TypeVar("KeysT")
ArgsT = TypeVar("ArgsT")


@cache
def lua_source(package: str, name: str) -> str:
    """Source of ``<name>.lua`` inside ``package`` (shipped as package data)."""
    return resources.files(package).joinpath(f"{name}.lua").read_text(encoding="utf-8")


def register(redis: Redis, package: str, name: str) -> AsyncScript:
    """A callable script: EVALSHA (through the client's lane if it has one), the source loaded
    again after ``NOSCRIPT``."""
    return Script(redis, lua_source(package, name))


@dataclass(frozen=True)
class NoArgs:
    """The ARGV of a script that takes none."""


def variadic() -> Any:
    """The last field of a KEYS or ARGV declaration that spreads into as many values as it holds.

    For a script that reads a variable tail (``#ARGV - 3`` packets, an action's own arguments)
    after the named locals of its header: the field holds a tuple and is not in the header.
    """
    return field(default=(), metadata={"variadic": True})


def is_variadic(declared: Field[Any]) -> bool:
    """Whether ``declared`` is a ``variadic()`` tail."""
    return bool(declared.metadata.get("variadic"))


class LuaScript(Generic[KeysT, ArgsT]):
    """One ``.lua`` file with its KEYS and ARGV declared by name, as two frozen dataclasses.

    The fields of ``keys`` and ``args``, in order, are the script's ``KEYS`` and ``ARGV``, each
    named as the local the script copies it into on its first lines (a key's field drops the
    local's ``_key`` suffix). Declared once at module level next to the ``.lua`` file; every
    declaration is listed in ``LuaScript.declared``, and ``tests/redis/test_script_contracts.py``
    reads each script's header and checks that the names and their order agree.
    """

    declared: ClassVar[list[LuaScript[Any, Any]]] = []

    def __init__(
        self,
        package: str,
        name: str,
        keys: type[KeysT],
        args: type[ArgsT],
        prelude: tuple[str, str] | None = None,
    ) -> None:
        """Declare ``<name>.lua`` of ``package``.

        Args:
            prelude: ``(package, name)`` of a ``.lua`` library of functions (no KEYS or ARGV of
                its own) whose source is put before the script's, as the wallet's is.
        """
        self.package = package
        self.name = name
        self.keys = keys
        self.args = args
        self.prelude = prelude
        LuaScript.declared.append(self)

    def bind(self, redis: Redis) -> BoundScript[KeysT, ArgsT]:
        """The script callable on ``redis`` (EVALSHA, reloaded after ``NOSCRIPT``)."""
        source = lua_source(self.package, self.name)
        if self.prelude is not None:
            source = lua_source(*self.prelude) + source
        return BoundScript(Script(redis, source), self.name)


class BoundScript(Generic[KeysT, ArgsT]):
    """A declared script on one Redis client: called with its named keys and arguments."""

    def __init__(self, script: AsyncScript, name: str) -> None:
        self._script = script
        self._latency = metrics.REDIS_SCRIPT_SECONDS.labels(name)

    async def __call__(self, keys: KeysT, args: ArgsT) -> Any:
        """Run the script; its raw reply (what the script returns, as redis-py decodes it)."""
        started = time.perf_counter()
        try:
            return await self._script(keys=_values(keys), args=_values(args))
        finally:
            self._latency.observe(time.perf_counter() - started)

    def as_call(self, keys: KeysT, args: ArgsT) -> ScriptCall:
        """This call as ``run_together`` sends it with others (its latency is not observed)."""
        return self._script, _values(keys), _values(args)


def _values(declaration: Any) -> list[Any]:
    values: list[Any] = []
    for name, spread in _layout(declaration):
        value = getattr(declaration, name)
        if spread:
            values.extend(value)
        else:
            values.append(value)
    return values


# A declaration class's fields in order, each with whether it is a variadic tail: read once per
# class, since scripts run on every request and ``fields`` is not free.
_LAYOUTS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _layout(declaration: Any) -> tuple[tuple[str, bool], ...]:
    layout = _LAYOUTS.get(type(declaration))
    if layout is None:
        layout = tuple((found.name, is_variadic(found)) for found in fields(declaration))
        _LAYOUTS[type(declaration)] = layout
    return layout


ScriptCall = tuple[AsyncScript, list[Any], list[Any]]


async def run_together(redis: Redis, calls: list[ScriptCall]) -> list[Any]:
    """Run script calls that do not depend on each other's answers; their replies, in order.

    Each call is ``(script, keys, args)`` with its keys in one slot, the calls' slots may differ.
    Several go in one round trip: through the lane of a single Redis's client, else in one
    non-transactional pipeline: a single Redis answers them in one round trip,
    redis-py's cluster client splits them by node and sends to every node at once. A call that
    met ``NOSCRIPT`` (a restarted Redis) did not run: it runs again alone, which loads it.

    Raises:
        redis.exceptions.RedisError: the first error a script raised (the others ran).
    """
    if len(calls) == 1:
        script, keys, args = calls[0]
        return [await script(keys=keys, args=args)]
    lane = lane_of(redis)
    replies: list[Any]
    if lane is not None:
        # One write for them all (the lane sends what is queued together).
        replies = await lane.execute_many(
            [("EVALSHA", script.sha, len(keys), *keys, *args) for script, keys, args in calls]
        )
    else:
        async with redis.pipeline(transaction=False) as pipe:
            for script, keys, args in calls:
                # The command, not the ``evalsha`` method: redis-py's cluster pipeline refuses
                # the method whatever the keys, but routes the command by its keys as any other.
                await pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            replies = await pipe.execute(raise_on_error=False)
    for index, reply in enumerate(replies):
        if isinstance(reply, NoScriptError):
            script, keys, args = calls[index]
            replies[index] = await script(keys=keys, args=args)
        elif isinstance(reply, Exception):
            raise reply
    return replies
