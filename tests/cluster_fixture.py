"""A real Redis Cluster on loopback for the tests: N masters (and replicas), each its own process."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from livebuy.processes import terminate
from livebuy.redis.embedded import free_port
from tests.servers import TIMEOUT_S


class EmbeddedCluster:
    """``masters`` × (1 + ``replicas``) ``redis-server --cluster-enabled yes`` processes joined by
    ``redis-cli --cluster create``; ``url`` names the first node (any node will do)."""

    def __init__(self, data_dir: Path, *, masters: int = 3, replicas: int = 0) -> None:
        self.data_dir = data_dir
        self.size = masters * (1 + replicas)
        self.replicas = replicas
        self.ports: list[int] = []
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        """``redis://`` URL of one node."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> None:
        """Start every node, create the cluster, and wait until every node says ``cluster_state:ok``.

        Raises:
            RuntimeError: a node exited, or the cluster did not form in time.
        """
        binary = shutil.which("redis-server")
        cli = shutil.which("redis-cli")
        if binary is None or cli is None:
            raise RuntimeError("redis-server and redis-cli are needed for the cluster tests")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ports = [free_port() for _ in range(self.size)]
        for port in self.ports:
            self._start_node(binary, port)
        for port in self.ports:
            self._wait(port, lambda client: bool(client.ping()))
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

    def _start_node(self, binary: str, port: int) -> None:
        node_dir = self.data_dir / str(port)
        node_dir.mkdir(exist_ok=True)
        self._processes[port] = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(node_dir.resolve()),
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                f"nodes-{port}.conf",
                # The bus defaults to port + 10000, which may be taken or past 65535.
                "--cluster-port",
                str(free_port()),
                # A failed master is noticed after this; the failover test waits on it.
                "--cluster-node-timeout",
                "2000",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                "redis.log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _wait(self, port: int, ready: Callable[[redis.Redis], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT_S * 3
        client = redis.Redis(port=port, socket_connect_timeout=0.5, decode_responses=True)
        try:
            while True:
                process = self._processes[port]
                if process.poll() is not None:
                    raise RuntimeError(f"cluster node {port} exited with {process.returncode}")
                try:
                    if ready(client):
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cluster node {port} not ready in time")
                time.sleep(0.05)
        finally:
            client.close()

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
        client: Any = redis.Redis(port=self.ports[0], decode_responses=True)
        try:
            slot = int(client.execute_command("CLUSTER KEYSLOT", key))
            for start, end, master, *_ in client.execute_command("CLUSTER SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        finally:
            client.close()
        raise RuntimeError(f"no master serves slot {slot}")

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
