"""A throwaway livebuy for benchmarks: embedded redis-server plus one ``livebuy serve`` process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from livebuy.processes import terminate
from livebuy.redis.embedded import EmbeddedRedis, free_port

READY_TIMEOUT_S = 30


@dataclass(frozen=True)
class LocalServer:
    """A running server: its port, base URL, process id (for CPU readings) and log file."""

    port: int
    pid: int
    log: Path
    # The embedded Redis the server uses (for command counts).
    redis_url: str = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Wait until the server at ``base`` answers ``/readyz`` (raises if it exits or times out)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout_s} s")


@contextmanager
def local_server(
    token: str,
    *,
    appendfsync: str = "everysec",
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> Iterator[LocalServer]:
    """Start Redis and a ready server on free ports (no show player); stop both on exit.

    ``env`` adds ``LIVEBUY_*`` settings for the server process; ``workers`` is ``serve --workers``
    (``pid`` is then the supervisor's).
    """
    with (
        tempfile.TemporaryDirectory(prefix="livebuy-bench-") as data,
        EmbeddedRedis(Path(data) / "redis", appendfsync=appendfsync) as redis,
    ):
        port = free_port()
        server_env = {
            **os.environ,
            "LIVEBUY_REDIS_URL": redis.url,
            "LIVEBUY_PORT": str(port),
            "LIVEBUY_PRODUCER_TOKEN": token,
            "LIVEBUY_SESSION_SECRET": secrets.token_urlsafe(32),
            # Every simulated viewer comes from this one machine's address.
            "LIVEBUY_RATE_LIMIT_SESSIONS_PER_MINUTE": "0",
            "LIVEBUY_RATE_LIMIT_ORDERS_PER_MINUTE": "0",
            "LIVEBUY_GIVEAWAY_IP_CAP": "1000000",
            "LIVEBUY_POLL_IP_CAP": "1000000",
            "LIVEBUY_RED_PACKET_IP_CAP": "1000000",
            "LIVEBUY_PLAY_SHOWS": "false",
            "LIVEBUY_LOG_JSON": "false",
            **(env or {}),
        }
        log_path = Path(data) / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "livebuy", "serve", "--workers", str(workers)],
                env=server_env,
                stdout=log,
                stderr=log,
            )
            try:
                running = LocalServer(port=port, pid=server.pid, log=log_path, redis_url=redis.url)
                # Each worker process starts on its own; on a busy machine they queue for a core.
                wait_ready(running.base_url, server, READY_TIMEOUT_S * workers)
                yield running
            finally:
                terminate(server, timeout_s=15)
