"""A real Redis Cluster on loopback for the tests: N masters (and replicas), each its own process."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from livebuy.processes import terminate
from livebuy.redis.embedded import free_port, start_server, wait_until
from tests.servers import TIMEOUT_S

# Starts of one node, each on new ports, before its ports count as never free.
NODE_START_TRIES = 5


class EmbeddedCluster:
    """``masters`` × (1 + ``replicas``) ``redis-server --cluster-enabled yes`` processes joined by
    ``redis-cli --cluster create``; ``url`` names the first node (any node will do)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        masters: int = 3,
        replicas: int = 0,
        node_timeout_ms: int = 2000,
        appendfsync: str = "everysec",
    ) -> None:
        self.data_dir = data_dir
        self.size = masters * (1 + replicas)
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.appendfsync = appendfsync
        self.ports: list[int] = []
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        """``redis://`` URL of one running node."""
        return f"redis://127.0.0.1:{next(iter(self._processes))}/0"

    def start(self) -> None:
        """Start every node, create the cluster, and wait until every node says ``cluster_state:ok``
        and every replica has finished its first sync.

        Raises:
            RuntimeError: a node exited, or the cluster did not form in time.
        """
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is needed for the cluster tests")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ports = [self._start_node() for _ in range(self.size)]
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas",
                str(self.replicas),
                "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT_S * 3,
        )
        for port in self.ports:
            self._wait(port, _cluster_ok)
        for port in self.ports:
            self._wait(port, _synced)

    def _start_node(self) -> int:
        """Start one node on a free port and wait until it answers; its port.

        ``free_port`` can only say a port was free a moment ago: a node whose port (or bus port)
        was taken meanwhile by another test's socket starts again on other ports.
        """
        for _ in range(NODE_START_TRIES):
            port = free_port()
            self._processes[port] = start_server(
                port,
                self.data_dir / str(port),
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                f"nodes-{port}.conf",
                # The bus defaults to port + 10000, which may be taken or past 65535.
                "--cluster-port",
                str(free_port()),
                # A failed master is noticed after this; the failover test waits on it.
                "--cluster-node-timeout",
                str(self.node_timeout_ms),
                "--appendfsync",
                self.appendfsync,
                # A replica's first sync would wait 5 s for others to join it.
                "--repl-diskless-sync-delay",
                "0",
            )
            try:
                self._wait(port, lambda client: bool(client.ping()))
                return port
            except RuntimeError:
                del self._processes[port]
                log = self.data_dir / str(port) / "redis.log"
                if not log.exists() or "Address already in use" not in log.read_text("utf-8"):
                    raise
        raise RuntimeError(f"no free ports for a cluster node in {NODE_START_TRIES} tries")

    def _wait(self, port: int, ready: Callable[[redis.Redis], bool]) -> None:
        wait_until(self._processes[port], port, ready, TIMEOUT_S * 3)

    def flush(self) -> None:
        """Empty every master (the tests' equivalent of ``FLUSHDB``)."""
        for port in self.ports:
            client = redis.Redis(port=port)
            try:
                if client.info("replication")["role"] == "master":
                    client.flushall()
            except redis.ConnectionError:
                continue  # a node a failover test killed
            finally:
                client.close()

    def master_of(self, key: str) -> int:
        """Port of the master that serves ``key``'s slot."""
        client: Any = redis.Redis(port=next(iter(self._processes)), decode_responses=True)
        try:
            slot = int(client.execute_command("CLUSTER KEYSLOT", key))
            for start, end, master, *_ in client.execute_command("CLUSTER SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        finally:
            client.close()
        raise RuntimeError(f"no master serves slot {slot}")

    def pid(self, port: int) -> int:
        """The process id of the node on ``port``."""
        return self._processes[port].pid

    def kill(self, port: int) -> None:
        """SIGKILL one node, as a crash would."""
        process = self._processes.pop(port)
        process.kill()
        process.wait()

    def stop(self) -> None:
        """Stop every node that is still running."""
        for port in list(self._processes):
            terminate(self._processes.pop(port), timeout_s=10)


def _cluster_ok(client: Any) -> bool:
    # redis-py parses the reply into a dict of the INFO fields.
    info = client.execute_command("CLUSTER INFO")
    return bool(info.get("cluster_state") == "ok")


def _synced(client: Any) -> bool:
    # A master is ready once its replicas are online; a replica once its link to the master is up.
    info = client.info("replication")
    if info["role"] == "master":
        return all(
            info[f"slave{index}"]["state"] == "online"
            for index in range(int(info["connected_slaves"]))
        )
    return bool(info["master_link_status"] == "up")
