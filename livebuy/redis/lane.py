"""One multiplexed Redis connection per process for short commands: scripts and hot reads.

redis-py gives each command a connection of its own from its pool: it takes one (a lock and a
condition), wraps the call in a retry and the pool's timeout, packs the command and parses the
reply in Python, then gives the connection back. Measured on this machine that is 130-230 µs of
CPU per round trip with 50 callers, about a ``GET /healthz`` each, and a buy makes five.

The lane keeps one connection instead. A call packs its command with hiredis (C), queues a future
and returns; the commands of every call made in one turn of the event loop leave in one write,
and hiredis parses the replies, which Redis sends in the order of the commands, into those
futures in turn. Callers never wait for a connection, and a burst of buyers costs one syscall per
turn instead of one per command.

Only for what cannot block the connection (scripts and short commands: ``GET``, ``HGET``,
``EXISTS``, ``SET``, a bounded ``ZRANGEBYSCORE``...): a blocking read
(``XREAD BLOCK``), ``WAIT``, a transaction or a subscription stays on redis-py's pool. Only for a
single Redis: the cluster client keeps redis-py's routing by slot (``connection.connect``).

A connection that fails fails every call waiting on it with ``ConnectionError`` (an outage: 503,
as redis-py's errors are); whether those commands ran is unknown, as with redis-py's pool (the
order steps are idempotent by order id, and the sweeps finish or undo an order cut short). The
next call connects again; a connection whose calls get no reply for ``REPLY_TIMEOUT_S`` is
given up the same way.
A caller cancelled while it waits leaves its reply to be read and dropped, so the order of the
replies stays right.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, cast

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio import ConnectionPool, Redis, RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.typing import KeyT

log = logging.getLogger(__name__)
# A Redis that does not accept within this is down for the caller (503), not a hang.
CONNECT_TIMEOUT_S = 5.0
# A connection with calls waiting and no reply for this long is given up (its calls fail: 503)
# and the next call connects again: a Redis that hangs (stopped, a partition without a reset)
# must not hold every request forever. Far above any livebuy command (scripts take ~0.1 ms).
REPLY_TIMEOUT_S = 10.0

# What a command's arguments may be (redis-py's ``EncodableT``, which hiredis packs alike).
Arg = bytes | bytearray | memoryview | str | int | float
_pack = cast(Callable[[tuple[Arg, ...]], bytes], hiredis.pack_command)
# redis-py's mapping of an error reply's prefix to its exception (``NOSCRIPT``, ``READONLY``...).
_error_of = cast(Callable[[str], Exception], BaseParser.parse_error)


class _ErrorReply(Exception):
    """An error reply as hiredis hands it over, before it becomes redis-py's exception."""


class _LaneProtocol(asyncio.Protocol):
    """The connection: writes the queued commands once per loop turn, matches replies in order."""

    def __init__(self, reply_timeout_s: float = REPLY_TIMEOUT_S) -> None:
        self._loop = asyncio.get_running_loop()
        self._reader = hiredis.Reader(encoding="utf-8", replyError=_ErrorReply)
        self._transport: asyncio.Transport | None = None
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._unsent: list[bytes] = []
        self.lost: BaseException | None = None
        # The watchdog: when a reply last arrived (or a call found none waiting before it).
        self._reply_timeout_s = reply_timeout_s
        self._progress_at = 0.0
        self._watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        # uvloop's transports do not subclass asyncio's, but have its methods.
        self._transport = cast(asyncio.Transport, transport)

    def call(self, packed: bytes) -> asyncio.Future[Any]:
        """Queue one packed command; the future gets its reply."""
        future: asyncio.Future[Any] = self._loop.create_future()
        if self.lost is not None:
            future.set_exception(_lost(self.lost))
            return future
        if not self._unsent:
            self._loop.call_soon(self._flush)
        if not self._waiting:
            self._progress_at = self._loop.time()
            if self._watchdog is None:
                self._watchdog = self._loop.call_later(self._reply_timeout_s, self._check)
        self._unsent.append(packed)
        self._waiting.append(future)
        return future

    def _check(self) -> None:
        """Give the connection up if calls wait and no reply came for ``reply_timeout_s``."""
        self._watchdog = None
        if not self._waiting or self.lost is not None:
            return
        silent = self._loop.time() - self._progress_at
        if silent >= self._reply_timeout_s:
            self._abort(f"no reply for {silent:.1f} s")
            return
        self._watchdog = self._loop.call_later(self._reply_timeout_s - silent, self._check)

    def _flush(self) -> None:
        if self._transport is None or self.lost is not None or not self._unsent:
            return
        data = b"".join(self._unsent)
        self._unsent.clear()
        self._transport.write(data)

    def data_received(self, data: bytes) -> None:
        """Hand each complete reply to the oldest waiting call."""
        self._progress_at = self._loop.time()
        self._reader.feed(data)
        while True:
            try:
                reply = self._reader.gets()
            except hiredis.ProtocolError as error:
                # The stream cannot be read in step any more: every waiting call fails.
                self._abort(f"unreadable reply: {error}")
                return
            if reply is False:
                return
            future = self._waiting.popleft()
            if future.done():
                # Its caller was cancelled; the reply is read all the same, keeping the order.
                continue
            if isinstance(reply, _ErrorReply):
                future.set_exception(_error_of(str(reply)))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail every call still waiting: the connection is gone."""
        self.lost = exc or RedisConnectionError("Redis closed the connection")
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(_lost(self.lost))
        self._unsent.clear()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _abort(self, why: str) -> None:
        if self._transport is not None:
            self._transport.abort()
        self.connection_lost(RedisConnectionError(f"Redis connection given up: {why}"))

    def close(self) -> None:
        """Close the connection; calls still waiting fail."""
        if self._transport is not None:
            self._transport.close()


def _log_unanswered(reply: asyncio.Future[Any]) -> None:
    """Log the failure of a command sent with ``Lane.send`` (nobody else reads its reply)."""
    if not reply.cancelled() and (error := reply.exception()) is not None:
        log.warning("a Redis command nobody waited for failed: %s", error)


def _lost(cause: BaseException) -> RedisConnectionError:
    if isinstance(cause, RedisConnectionError):
        return RedisConnectionError(str(cause))
    return RedisConnectionError(f"connection to Redis lost: {cause}")


class Lane:
    """The multiplexed connection of one process to one Redis (see the module's docstring)."""

    def __init__(
        self,
        *,
        host: str = "localhost",
        port: int = 6379,
        path: str | None = None,
        username: str | None = None,
        password: str | None = None,
        db: int = 0,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
    ) -> None:
        self._host = host
        self._port = port
        self._path = path
        self._username = username
        self._password = password
        self._db = db
        self._reply_timeout_s = reply_timeout_s
        self._protocol: _LaneProtocol | None = None
        self._connecting = asyncio.Lock()
        self._closed = False

    @classmethod
    def for_pool(cls, pool: ConnectionPool) -> Lane:
        """A lane to the Redis of redis-py's ``pool`` (same address, credentials and database)."""
        kwargs = pool.connection_kwargs
        return cls(
            host=kwargs.get("host", "localhost"),
            port=int(kwargs.get("port", 6379)),
            path=kwargs.get("path"),
            username=kwargs.get("username"),
            password=kwargs.get("password"),
            db=int(kwargs.get("db", 0)),
        )

    async def execute(self, *args: Arg) -> Any:
        """Run one command; its reply decoded as redis-py with ``decode_responses`` gives it.

        Raises:
            redis.exceptions.ConnectionError: Redis could not be reached, or the connection was
                lost before the reply.
            redis.exceptions.ResponseError: Redis answered an error (its redis-py subclass).
        """
        protocol = self._open() or await self._connect()
        return await protocol.call(_pack(args))

    async def send(self, *args: Arg) -> None:
        """Queue one command whose reply nobody waits for: it leaves with this loop turn's
        other commands, ahead of any queued later. A failure is logged, not raised.

        Raises:
            redis.exceptions.ConnectionError: Redis could not be reached to queue it.
        """
        protocol = self._open() or await self._connect()
        protocol.call(_pack(args)).add_done_callback(_log_unanswered)

    async def execute_many(self, commands: Sequence[tuple[Arg, ...]]) -> list[Any]:
        """Run commands that do not depend on each other, sent together; their replies in order.
        An error reply is returned in its place (an exception instance), not raised: the other
        commands ran.

        Raises:
            redis.exceptions.ConnectionError: as ``execute``.
        """
        protocol = self._open() or await self._connect()
        # Futures, not tasks (``asyncio.gather`` would wrap each in one): queued in order, they
        # leave in one write and are answered in order.
        futures = [protocol.call(_pack(command)) for command in commands]
        replies: list[Any] = []
        for index, future in enumerate(futures):
            try:
                replies.append(await future)
            except RedisConnectionError:
                # The connection failed them all: no other error is left unread.
                for rest in futures[index + 1 :]:
                    if rest.done():
                        rest.exception()
                    else:
                        rest.cancel()
                raise
            except RedisError as error:
                replies.append(error)
        return replies

    async def evalsha(self, script: AsyncScript, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        """Run a script by its SHA, loading it first if Redis does not have it (a restart)."""
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.execute("SCRIPT", "LOAD", script.script)
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)

    def _open(self) -> _LaneProtocol | None:
        """The connection, if there is one and it is not lost."""
        protocol = self._protocol
        return protocol if protocol is not None and protocol.lost is None else None

    async def _connect(self) -> _LaneProtocol:
        async with self._connecting:
            # Another caller may have connected while this one waited for the lock.
            protocol = self._open()
            if protocol is not None:
                return protocol
            if self._closed:
                raise RedisConnectionError("the Redis lane is closed")
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    if self._path is not None:
                        _, protocol = await loop.create_unix_connection(self._new, self._path)
                    else:
                        _, protocol = await loop.create_connection(
                            self._new, self._host, self._port
                        )
                    await self._handshake(protocol)
            except (OSError, TimeoutError) as error:
                raise RedisConnectionError(f"cannot connect to Redis: {error}") from error
            self._protocol = protocol
            return protocol

    def _new(self) -> _LaneProtocol:
        return _LaneProtocol(self._reply_timeout_s)

    async def _handshake(self, protocol: _LaneProtocol) -> None:
        commands: list[tuple[Arg, ...]] = []
        if self._password is not None:
            auth: tuple[Arg, ...] = ("AUTH", self._password)
            if self._username is not None:
                auth = ("AUTH", self._username, self._password)
            commands.append(auth)
        if self._db:
            commands.append(("SELECT", self._db))
        replies = [protocol.call(_pack(command)) for command in commands]
        try:
            for reply in replies:
                await reply
        except BaseException:
            protocol.close()
            raise

    async def aclose(self) -> None:
        """Close the connection; later calls fail with ``ConnectionError``."""
        self._closed = True
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None


class LaneRedis(Redis):
    """redis-py's client to a single Redis, with a ``Lane`` beside its pool (``connect`` makes
    it): ``Script`` calls, ``run`` and ``run_all`` go through the lane, the rest through the pool."""

    lane: Lane

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Close the lane and the pool."""
        await self.lane.aclose()
        await super().aclose(close_connection_pool)


def lane_of(redis: Redis) -> Lane | None:
    """The lane of a client that has one (``connect`` to a single Redis), else ``None``."""
    return redis.lane if isinstance(redis, LaneRedis) else None


async def run(redis: Redis, *args: Arg) -> Any:
    """One command through the client's lane if it has one, else through redis-py's pool."""
    lane = lane_of(redis)
    if lane is not None:
        return await lane.execute(*args)
    execute = cast(Callable[..., Awaitable[Any]], redis.execute_command)
    return await execute(*args)


async def run_behind(redis: Redis, *args: Arg) -> None:
    """One command whose reply the caller does not wait for (``Lane.send``, which logs a
    failure) through the client's lane; without a lane it runs as ``run`` does (awaited,
    errors raised)."""
    lane = lane_of(redis)
    if lane is not None:
        await lane.send(*args)
        return
    await run(redis, *args)


async def run_all(redis: Redis, *commands: tuple[Arg, ...]) -> list[Any]:
    """Commands that do not depend on each other, in one round trip: through the lane (which
    sends those of one loop turn together), else one non-transactional redis-py pipeline."""
    lane = lane_of(redis)
    if lane is not None:
        replies = await lane.execute_many(commands)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies
    async with redis.pipeline(transaction=False) as pipe:
        for command in commands:
            await pipe.execute_command(*command)
        return list(await pipe.execute())


def hash_reply(reply: Any) -> dict[str, str]:
    """An ``HGETALL`` reply of ``run``/``run_all`` as a dict: the lane gives Redis's flat list
    of fields and values, redis-py's pool the dict its reply callback makes."""
    if isinstance(reply, dict):
        return cast(dict[str, str], reply)
    return dict(zip(reply[::2], reply[1::2], strict=True))


class Script(AsyncScript):
    """A registered script whose calls take its client's lane when the client has one."""

    def __init__(self, registered_client: Redis | RedisCluster, script: str) -> None:
        super().__init__(registered_client, script)
        # Looked up once: the isinstance checks of redis-py's classes are not free per call.
        self._lane = lane_of(registered_client) if isinstance(registered_client, Redis) else None

    async def __call__(
        self,
        keys: Sequence[KeyT] | None = None,
        args: Iterable[Arg] | None = None,
        client: Redis | RedisCluster | None = None,
    ) -> Any:
        """Run the script (EVALSHA, loading it after ``NOSCRIPT``); on ``client`` if given (a
        pipeline, another client), else on the client it was registered with."""
        lane = self._lane
        if client is not None:
            lane = lane_of(client) if isinstance(client, Redis) else None
        if lane is None:
            return await super().__call__(keys, args, client)
        return await lane.evalsha(self, tuple(keys or ()), tuple(args or ()))
