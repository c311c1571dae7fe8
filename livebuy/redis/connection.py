"""The asyncio Redis client livebuy shares across a process: one Redis, or a Redis Cluster."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from livebuy.redis.lane import Lane, LaneRedis

# Enough for a burst of viewers joining at once (each join is a few short commands) plus one
# blocking stream reader per watched show; past it, callers wait for a connection instead of failing.
MAX_CONNECTIONS = 256
POOL_TIMEOUT_S = 10
# The cluster client's pool per node does not wait: past it a command fails at once
# (MaxConnectionsError). Each node serves about a third of the shows' blocking reads and of the
# joins, so the bound per node is the single Redis's, with room for a burst that lands on one node.
CLUSTER_MAX_CONNECTIONS_PER_NODE = 512


class _QueueingClusterPipeline(ClusterPipeline):
    """A cluster pipeline on which ``await pipe.set(...)`` queues the command, as on ``Redis``.

    livebuy awaits each command it queues (the typing of redis-py's asyncio pipeline asks for
    it). The single-Redis pipeline's ``__await__`` returns it unchanged; redis-py's
    ``ClusterPipeline.__await__`` re-initialises it instead, which empties its queue, so every
    command queued before the last await would be dropped without an error.
    """

    def __await__(self) -> Generator[Any, None, ClusterPipeline]:
        return _itself(self).__await__()

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Queue a command. In a transaction, without the ``keys`` option redis-py's command
        methods add: its cluster MULTI passes every option to the reply's parser, and the parsers
        of GET, HGETALL and others take none, so the MULTI failed with a TypeError after it ran
        (the single-Redis client drops the option first). The slot comes from the arguments."""
        if self._transaction:
            kwargs.pop("keys", None)
        return super().execute_command(*args, **kwargs)


async def _itself(pipe: ClusterPipeline) -> ClusterPipeline:
    return pipe


_CLOSED_WHILE_IN_USE = "connection closed by another task while in use (cluster failover)"


class _ClusterConnection(Connection):
    """A cluster node's connection that, closed by another task in the middle of a command,
    fails with ``ConnectionError`` (what happened) instead of ``AttributeError``.

    redis-py's asyncio cluster client closes every connection of every node when a node answers
    ``CLUSTERDOWN`` (during a failover), connections other tasks are using included; their next
    write met a ``None`` writer. An ``AttributeError`` is neither retried by redis-py nor an
    outage to livebuy: a producer's cue was answered 500 and a hub's read would have stopped
    (``tests/cluster/test_failover.py`` found it). As a ``ConnectionError`` redis-py retries it
    on the refreshed slot map, and what still fails is a 503.
    """

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        """Send ``command``; ``ConnectionError`` if the connection was closed under it."""
        try:
            await super().send_packed_command(command, check_health)
        except AttributeError as error:
            if self.is_connected:
                raise
            raise RedisConnectionError(_CLOSED_WHILE_IN_USE) from error

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        """Read a reply; ``ConnectionError`` if the connection was closed under it."""
        try:
            return await super().read_response(*args, **kwargs)
        except AttributeError as error:
            if self.is_connected:
                raise
            raise RedisConnectionError(_CLOSED_WHILE_IN_USE) from error


class _Cluster(RedisCluster):
    """``RedisCluster`` whose pipelines queue on await (see ``_QueueingClusterPipeline``) and
    whose commands wait for the slot table (see ``execute_command``)."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Run a command on the node of its key's slot, learning the slots first if needed.

        redis-py 8 picks a command's target before it loads the slot table: every script call
        (EVALSHA) of a fresh or just-reset client went to one node, most came back ``MOVED``,
        and after a few the client closed every connection, including those of the commands
        still in flight ('Connection closed'): a burst such as the catalog load at start-up
        failed. Loading the table first (once; concurrent callers wait on redis-py's lock)
        sends each command to its master.
        """
        if self._initialize:
            _ = await self.initialize()
        return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> Any:
        """A pipeline (``transaction=True``: a MULTI, whose keys must share one slot)."""
        if shard_hint:
            return super().pipeline(transaction, shard_hint)
        # redis-py's stubs declare an attribute abstract that its ClusterPipeline sets itself.
        return _QueueingClusterPipeline(self, transaction)  # type: ignore[abstract]


def connect(
    url: str, *, cluster: bool = False, decode: bool = True, max_connections: int = MAX_CONNECTIONS
) -> Redis:
    """Client for ``url`` (returning ``str`` values unless ``decode`` is false); connections are
    opened lazily by the pool.

    A single Redis's client (``decode``) also has a ``Lane``: scripts and the order path's reads
    go through it, one multiplexed connection (``livebuy/redis/lane.py``). The single-Redis pool
    blocks when exhausted (redis-py's default pool raises at once, which cut
    off viewers joining in a burst). RESP2 is pinned: livebuy parses stream replies in their RESP2
    shape.

    ``cluster``: ``url`` names any node of a Redis Cluster, and the client is redis-py's
    ``RedisCluster``. It discovers the other nodes, routes each command by its key's slot,
    follows ``MOVED``/``ASK`` and loads a script on every primary when a node answers
    ``NOSCRIPT``. It has the same command, script and pipeline methods as ``Redis`` but no common
    base class: livebuy is typed against ``Redis`` and runs on both (``tests/cluster`` runs the
    show, chat and games on a real three-master cluster).
    """
    if cluster:
        client = _Cluster.from_url(
            url,
            decode_responses=decode,
            protocol=2,
            max_connections=max(max_connections, CLUSTER_MAX_CONNECTIONS_PER_NODE),
            health_check_interval=30,
        )
        # RedisCluster takes no connection class (it pins its own); the nodes it creates later
        # read it from these arguments.
        client.nodes_manager.connection_kwargs["connection_class"] = _ClusterConnection
        for node in client.nodes_manager.startup_nodes.values():
            node.connection_class = _ClusterConnection
        return cast(Redis, client)
    pool = BlockingConnectionPool.from_url(
        url,
        decode_responses=decode,
        health_check_interval=30,
        protocol=2,
        max_connections=max_connections,
        timeout=POOL_TIMEOUT_S,
    )
    if not decode:
        return Redis.from_pool(pool)
    single = cast(LaneRedis, LaneRedis.from_pool(pool))
    single.lane = Lane.for_pool(pool)
    return single


async def queue_pfcount(pipe: Pipeline, *keys: str) -> None:
    """Queue ``PFCOUNT keys...`` on ``pipe``.

    redis-py's cluster pipeline refuses its ``pfcount()`` method outright (a PFCOUNT of several
    keys could span slots); the command itself, routed by its keys, runs. livebuy's PFCOUNTs name
    keys of one show, which the slot guard of the test suite checks.
    """
    queue: Any = pipe
    await queue.execute_command("PFCOUNT", *keys)
