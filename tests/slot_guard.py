"""Slot guard: on a single Redis, finds every step that could not run on a Redis Cluster.

A Redis Cluster refuses a command, a Lua script or a MULTI whose keys hash to more than one slot
(``CROSSSLOT``). A single Redis runs them all, so the suite would not notice a key layout that
breaks on a cluster. The guard wraps redis-py's asyncio ``Redis.execute_command`` and
``Pipeline.execute`` for the test process, and the ``Lane``'s ``execute``, ``execute_many`` and
``send`` (scripts and hot reads
of a single Redis's client go through it): each multi-key command, script call (its KEYS) and
transaction (every key of every queued command) is checked with redis-py's ``key_slot``. The
pipeline methods redis-py's cluster pipeline refuses whatever the keys (``evalsha``, so a script
called on a pipeline, ``pfcount``, ``mget``...) are refused on the single Redis's pipeline too.

A violation raises ``CrossSlotError`` at the call (so the step does not run as if all were well)
and is recorded; ``tests/conftest.py`` fails the test that made it at teardown, even if the
server code that hit it caught the error (an elected loop logs and retries, an endpoint answers
500). ``LIVEBUY_SLOT_GUARD=report`` records without raising and prints every distinct violation
at the end of the run: the list of what to re-key. ``LIVEBUY_SLOT_GUARD=off`` does not install
it (to time the suite without it).

What it cannot see: keys a Lua script builds itself instead of taking them in ``KEYS``, and the
commands of ``livebuy serve`` child processes (``make_server(process=True)``). The real cluster
in ``tests/cluster`` covers both.
"""

from __future__ import annotations

import hashlib
import os
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from redis.asyncio.client import Pipeline, Redis
from redis.cluster import PIPELINE_BLOCKED_COMMANDS
from redis.crc import key_slot

import livebuy
from livebuy.redis.lane import Lane

MODE = os.environ.get("LIVEBUY_SLOT_GUARD", "strict")
ROOTS = (Path(livebuy.__file__).parent, Path(livebuy.__file__).parent.parent / "catalog")


class CrossSlotError(AssertionError):
    """A step's keys hash to more than one slot: a Redis Cluster would refuse it (CROSSSLOT)."""


@dataclass(frozen=True)
class Violation:
    """One cross-slot step: what it was (a command, ``script <name>`` or ``MULTI``), its keys'
    slots, and the livebuy/catalog code that made it."""

    step: str
    slots: tuple[tuple[str, int], ...]
    caller: str

    def describe(self) -> str:
        keys = ", ".join(f"{key} (slot {slot})" for key, slot in self.slots)
        return f"{self.step} at {self.caller}" + (f": {keys}" if keys else "")


violations: list[Violation] = []
# Steps made across slots on purpose, only ever sent through a single Redis's lane: an order's
# creation in one script (``order_scripts.whole_order_source``). A client without a lane takes
# the per-slot steps a cluster takes, which the guard checks (``tests/commerce/test_slots.py``).
SINGLE_REDIS_ONLY = frozenset({"script order_create"})


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _script_names() -> dict[str, str]:
    """sha1 -> name of every ``.lua`` file of livebuy and catalog (with its prelude if declared)."""
    from livebuy.commerce.order_scripts import whole_order_source
    from livebuy.redis.scripts import LuaScript, lua_source

    names = {}
    sources = {path.stem: path.read_bytes() for root in ROOTS for path in root.rglob("*.lua")}
    for name, source in sources.items():
        names[hashlib.sha1(source).hexdigest()] = name
        # Scripts loaded with a library of functions put before them (the wallet's).
        for library in sources.values():
            names[hashlib.sha1(library + source).hexdigest()] = name
    names[hashlib.sha1(whole_order_source().encode()).hexdigest()] = "order_create"
    for declared in LuaScript.declared:
        text = lua_source(declared.package, declared.name)
        if declared.prelude is not None:
            text = lua_source(*declared.prelude) + text
        names[hashlib.sha1(text.encode()).hexdigest()] = declared.name
    return names


class _KeyFinder:
    """The keys of a command, from the server's ``COMMAND`` table (fetched once)."""

    def __init__(self) -> None:
        self._table: dict[str, dict[str, Any]] | None = None
        self._scripts: dict[str, str] | None = None

    def table(self, client: Redis | Lane) -> dict[str, dict[str, Any]]:
        if self._table is None:
            if isinstance(client, Lane):
                host, port = client._host, client._port
            else:
                kwargs = client.connection_pool.connection_kwargs
                host, port = kwargs.get("host", "127.0.0.1"), kwargs.get("port", 6379)
            sync = redis.Redis(host=host, port=port)
            try:
                self._table = {str(name).lower(): info for name, info in sync.command().items()}
            finally:
                sync.close()
        return self._table

    def script_name(self, sha: str) -> str:
        if self._scripts is None:
            self._scripts = _script_names()
        return self._scripts.get(sha, sha[:12])

    def step_and_keys(self, client: Redis | Lane, args: Sequence[Any]) -> tuple[str, list[Any]]:
        """What the command is (``script <name>`` for EVALSHA/EVAL) and the keys it names."""
        words = _text(args[0]).split()
        name = words[0].lower()
        rest = [*words[1:], *args[1:]]
        if name in ("evalsha", "eval", "evalsha_ro", "eval_ro"):
            count = int(rest[1])
            sha = (
                str(rest[0])
                if name.startswith("evalsha")
                else hashlib.sha1(_as_bytes(rest[0])).hexdigest()
            )
            return f"script {self.script_name(sha)}", list(rest[2 : 2 + count])
        if name in ("xread", "xreadgroup"):
            upper = [_text(arg).upper() for arg in rest]
            start = upper.index("STREAMS") + 1
            streams = rest[start:]
            return name.upper(), list(streams[: len(streams) // 2])
        if name in ("zunionstore", "zinterstore", "zdiffstore"):
            return name.upper(), [rest[0], *rest[2 : 2 + int(rest[1])]]
        if name in ("zunion", "zinter", "zdiff", "sintercard", "zintercard", "lmpop", "zmpop"):
            return name.upper(), list(rest[1 : 1 + int(rest[0])])
        info = self.table(client).get(name)
        if info is None or len(args) < 2:
            return name.upper(), []
        if "movablekeys" in info["flags"]:
            raise CrossSlotError(f"slot guard: keys of {name.upper()} not known, add it here")
        first, last, step = info["first_key_pos"], info["last_key_pos"], info["step_count"]
        if first == 0:
            return name.upper(), []
        full = [name, *rest]
        if last < 0:
            last = len(full) + last
        return name.upper(), [full[pos] for pos in range(first, last + 1, step)]


finder = _KeyFinder()


def _caller() -> str:
    """The innermost livebuy or catalog frame that led to this Redis call."""
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename)
        plumbing = str(path).endswith(("livebuy/redis/scripts.py", "livebuy/redis/lane.py"))
        if any(root in path.parents for root in ROOTS) and not plumbing:
            return f"{path.relative_to(ROOTS[0].parent)}:{frame.lineno} ({frame.name})"
    return "tests"


def check(step: str, keys: Iterable[Any]) -> None:
    """Record (and in strict mode raise) a step whose ``keys`` hash to more than one slot."""
    slots = tuple((str(key), key_slot(_as_bytes(key))) for key in keys)
    if len({slot for _, slot in slots}) <= 1:
        return
    violation = Violation(step, slots, _caller())
    if violation.caller == "tests":
        # A test's own set-up or inspection: it never runs against a cluster.
        return
    _record(violation)
    if MODE == "strict":
        raise CrossSlotError(
            f"cross-slot step (a Redis Cluster refuses it): {violation.describe()}"
        )


def _record(violation: Violation) -> None:
    violations.append(violation)
    # A long report run may be cut short: its findings are in the file as they happen.
    log = os.environ.get("LIVEBUY_SLOT_GUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(violation.describe() + "\n")


def _refused_in_pipeline(command: str) -> Callable[..., Any]:
    def refuse(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        violation = Violation(f"{command} in a pipeline", (), _caller())
        _record(violation)
        if MODE == "strict":
            raise CrossSlotError(
                f"redis-py's cluster pipeline refuses {command}: {violation.describe()}"
            )
        return original(self, *args, **kwargs)

    original = getattr(Pipeline, command.replace(" ", "_").lower())
    return refuse


def install() -> Callable[[], None]:
    """Wrap the asyncio client for this process; returns the undo."""
    original_execute_command: Any = Redis.execute_command
    original_pipeline_execute: Any = Pipeline.execute

    async def execute_command(self: Redis, *args: Any, **options: Any) -> Any:
        step, keys = finder.step_and_keys(self, args)
        check(step, keys)
        return await original_execute_command(self, *args, **options)

    async def pipeline_execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        if self.is_transaction or self.explicit_transaction:
            every: list[Any] = []
            steps = []
            for args, _ in self.command_stack:
                step, keys = finder.step_and_keys(self, args)
                steps.append(step)
                every.extend(keys)
            check(f"MULTI [{', '.join(steps)}]", every)
        else:
            for args, _ in self.command_stack:
                check(*finder.step_and_keys(self, args))
        return await original_pipeline_execute(self, raise_on_error)

    # Scripts and the hot reads of a single Redis's client go through its lane instead.
    original_lane_execute: Any = Lane.execute

    original_lane_execute_many: Any = Lane.execute_many

    async def lane_execute(self: Lane, *args: Any) -> Any:
        step, keys = finder.step_and_keys(self, args)
        if step not in SINGLE_REDIS_ONLY:
            check(step, keys)
        return await original_lane_execute(self, *args)

    original_lane_send: Any = Lane.send

    async def lane_send(self: Lane, *args: Any) -> None:
        check(*finder.step_and_keys(self, args))
        await original_lane_send(self, *args)

    async def lane_execute_many(self: Lane, commands: Sequence[tuple[Any, ...]]) -> Any:
        for command in commands:
            check(*finder.step_and_keys(self, command))
        return await original_lane_execute_many(self, commands)

    Redis.execute_command = execute_command  # type: ignore[method-assign]
    Pipeline.execute = pipeline_execute  # type: ignore[method-assign]
    Lane.execute = lane_execute  # type: ignore[method-assign]
    Lane.execute_many = lane_execute_many  # type: ignore[method-assign]
    Lane.send = lane_send  # type: ignore[method-assign]
    # The cluster client's pipeline refuses these methods whatever their keys; so does ours now.
    blocked = {}
    for command in PIPELINE_BLOCKED_COMMANDS:
        method = command.replace(" ", "_").lower()
        if hasattr(Pipeline, method):
            blocked[method] = getattr(Pipeline, method)
            setattr(Pipeline, method, _refused_in_pipeline(command))

    def undo() -> None:
        Redis.execute_command = original_execute_command  # type: ignore[method-assign]
        Pipeline.execute = original_pipeline_execute  # type: ignore[method-assign]
        Lane.execute = original_lane_execute  # type: ignore[method-assign]
        Lane.execute_many = original_lane_execute_many  # type: ignore[method-assign]
        Lane.send = original_lane_send  # type: ignore[method-assign]
        for method, original in blocked.items():
            setattr(Pipeline, method, original)

    return undo


def summary() -> str:
    """Every distinct violation of the run, pending rekey ones marked."""
    seen: dict[tuple[str, str], Violation] = {}
    for violation in violations:
        seen.setdefault((violation.step, violation.caller), violation)
    lines = [violation.describe() for violation in seen.values()]
    return "\n".join(sorted(lines))
