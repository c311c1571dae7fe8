"""A private ``redis-server`` child process for the demo and the test suite."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import redis

from livebuy.processes import terminate

INSTALL_HINT = (
    "redis-server is not installed: run `sudo apt-get install redis-server` (Debian/Ubuntu)"
)


class RedisServerMissingError(RuntimeError):
    """``redis-server`` is not on PATH."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    port: int, data_dir: Path, *options: str, config: Path | None = None
) -> subprocess.Popen[bytes]:
    """A ``redis-server`` child on 127.0.0.1:``port`` with AOF persistence under ``data_dir``
    (created if needed), logging to ``redis.log`` there; ``options`` add or override directives,
    which override those of the ``config`` file too.

    Raises:
        RedisServerMissingError: redis-server is not installed.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisServerMissingError(INSTALL_HINT)
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            binary,
            *([str(config.resolve())] if config is not None else []),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir.resolve()),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            "redis.log",
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until(
    process: subprocess.Popen[bytes],
    port: int,
    ready: Callable[[redis.Redis], bool],
    timeout_s: float,
) -> None:
    """Poll the server on ``port`` until ``ready(client)`` holds (a Redis error counts as not yet).

    Raises:
        RuntimeError: the process exited, or ``ready`` did not hold within ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    client = redis.Redis(port=port, socket_connect_timeout=0.5, decode_responses=True)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server on {port} exited with {process.returncode}")
            try:
                if ready(client):
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on {port} not ready in time")
            time.sleep(0.02)
    finally:
        client.close()


class EmbeddedRedis:
    """Runs ``redis-server`` on a free loopback port with AOF persistence under ``data_dir``.

    Use as a context manager; leaving it stops the server gracefully so the AOF is flushed.
    """

    def __init__(self, data_dir: Path, *, appendfsync: str = "everysec") -> None:
        self.data_dir = data_dir
        self.appendfsync = appendfsync
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://`` URL of the running server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0, *, port: int | None = None) -> None:
        """Start the server (on ``port``, or a free one) and wait until it answers ``PING``.

        Raises:
            RedisServerMissingError: redis-server is not installed.
            RuntimeError: it did not come up in time.
        """
        self.port = port or free_port()
        self._process = start_server(self.port, self.data_dir, "--appendfsync", self.appendfsync)
        wait_until(self._process, self.port, lambda client: bool(client.ping()), timeout_s)

    def stop(self) -> None:
        """Shut the server down cleanly (flushing the AOF), killing it if it does not exit."""
        process, self._process = self._process, None
        if process is not None:
            # SIGTERM is redis-server's graceful shutdown: it fsyncs the AOF before exiting.
            terminate(process, timeout_s=10)

    def kill(self) -> None:
        """End the server with SIGKILL, as a crash would (fault tests): only fsynced data stays."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
