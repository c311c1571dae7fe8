"""docs/nginx.conf run by a real nginx on loopback, in front of a given upstream port."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

from livebuy.processes import terminate
from livebuy.redis.embedded import free_port
from tests.deploy.compose import ROOT
from tests.servers import TIMEOUT_S

NGINX_CONF = ROOT / "docs" / "nginx.conf"
# What only works inside compose: the gateways' DNS name (resolved by Docker's DNS) and the port
# published on every interface.
COMPOSE_ONLY = ("server gateway:8000 resolve;", "listen 8000 ")


def nginx_binary() -> str | None:
    """The nginx executable (Debian installs it in /usr/sbin, off a normal user's PATH)."""
    return shutil.which("nginx", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin")


def local_config(directory: Path, upstream_ports: list[int], port: int) -> Path:
    """docs/nginx.conf listening on ``port``, its upstream the loopback ``upstream_ports`` (one
    server line each, as Docker's DNS resolves the replicas)."""
    text = NGINX_CONF.read_text()
    server, listen = COMPOSE_ONLY
    servers = " ".join(f"server 127.0.0.1:{upstream_port};" for upstream_port in upstream_ports)
    for old, new in (
        (server, servers),
        (listen, f"listen 127.0.0.1:{port} "),
    ):
        assert text.count(old) == 1, f"docs/nginx.conf no longer has exactly one {old!r}"
        text = text.replace(old, new)
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


class LocalNginx:
    """nginx in the foreground with docs/nginx.conf (adapted by ``local_config``)."""

    def __init__(self, binary: str, directory: Path, upstream_ports: list[int]) -> None:
        self.port = free_port()
        self.config = local_config(directory, upstream_ports, self.port)
        # Outside the container: pid file and start-up error log in the test's directory.
        self.argv = [
            binary,
            "-c",
            str(self.config),
            "-e",
            str(directory / "error.log"),
            "-g",
            f"daemon off; pid {directory / 'nginx.pid'};",
        ]
        # Opened by start(): nginx's error and access logs (a file: nobody drains a pipe).
        self._log_path = directory / "nginx.out"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        """The end of nginx's output (error log and access log), for failure messages."""
        try:
            return self._log_path.read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return "no output"

    def test_config(self) -> subprocess.CompletedProcess[bytes]:
        """``nginx -t`` on the configuration."""
        return subprocess.run(
            [*self.argv, "-t"], capture_output=True, timeout=TIMEOUT_S, check=False
        )

    async def start(self) -> None:
        """Start nginx and wait until it accepts connections."""
        with self._log_path.open("wb") as log:
            self._process = await asyncio.to_thread(
                subprocess.Popen, self.argv, stdout=log, stderr=log
            )
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                if self._process.poll() is not None:
                    raise RuntimeError(f"nginx exited: {self.log_tail()}")
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                await writer.wait_closed()
                return

    async def stop(self) -> None:
        """SIGTERM (nginx's fast shutdown), SIGKILL after 10 s."""
        if self._process is not None:
            await asyncio.to_thread(terminate, self._process, 10)


class RecordingUpstream:
    """A bare HTTP/1.1 upstream that records each request head nginx forwards.

    It observes what nginx puts on the wire (forwarded headers, Connection, keep-alive reuse); no
    livebuy behaviour is stood in for. Every request gets ``200 ok`` on a kept-alive connection.
    """

    def __init__(self) -> None:
        self.heads: list[dict[str, list[str]]] = []
        self.request_lines: list[str] = []
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            for writer in self._writers:
                writer.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                request_line, *lines = head.strip().split("\r\n")
                headers: dict[str, list[str]] = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers.setdefault(name.strip().lower(), []).append(value.strip())
                self.request_lines.append(request_line)
                self.heads.append(headers)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
