"""Real livebuy servers for end-to-end tests: in this event loop, or as separate processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection

from livebuy.app import create_app
from livebuy.processes import terminate
from livebuy.redis.embedded import free_port
from livebuy.server import uvicorn_config
from livebuy.settings import Settings
from tests.frame_contract import check_frame

PRODUCER_TOKEN = "test-producer-token"
# Long enough for ``livebuy serve``, which refuses placeholder and short secrets.
SESSION_SECRET = "test-session-secret-0123456789"

# Every wait for an event in the suite is scaled by this one constant (slow CI machines raise it).
TIMEOUT_S = 10.0 * float(os.environ.get("LIVEBUY_TEST_TIMEOUT_SCALE", "1"))
# Well under uvicorn's keep-alive timeout (5 s), so the client drops an idle connection first.
KEEPALIVE_EXPIRY_S = 2.0


def settings_for_tests(**overrides: Any) -> Settings:
    """Settings for a test server: demo content, no player unless asked, JSON logs off."""
    values: dict[str, Any] = {
        "producer_token": PRODUCER_TOKEN,
        "session_secret": SESSION_SECRET,
        # Every test client is 127.0.0.1; the tests of the per-IP limits set their own.
        "rate_limit_sessions_per_minute": 0,
        "rate_limit_orders_per_minute": 0,
        "poll_ip_cap": 1_000_000,
        "red_packet_ip_cap": 1_000_000,
        "play_shows": False,
        "log_json": False,
        "demo_start_delay_ms": 0,
        # Stopping a test server drains it: no grace for a balancer, and a short window.
        "drain_grace_ms": 0,
        "drain_window_ms": 1000,
    }
    values.update(overrides)
    return Settings(**values)


async def start_together(
    make_server: Callable[..., Awaitable[LiveServer]], count: int, **settings: Any
) -> list[LiveServer]:
    """``count`` servers with the same settings, booted at once (their start-ups overlap).

    For tests where it does not matter which server is up first: a process server's start-up is
    most of a multi-process test's wall time.
    """
    return list(await asyncio.gather(*(make_server(**settings) for _ in range(count))))


@dataclass
class LiveServer:
    """A running server and how to reach it."""

    port: int
    settings: Settings

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, show_id: str, **query: Any) -> str:
        params = "&".join(f"{key}={value}" for key, value in query.items())
        return f"ws://127.0.0.1:{self.port}/ws/shows/{show_id}" + (f"?{params}" if params else "")

    def http(self) -> httpx.AsyncClient:
        """A client of this server that never reuses a connection uvicorn may be closing."""
        # uvicorn closes a keep-alive connection idle for 5 s; a request sent on it as it closes
        # fails with "Server disconnected" (a test that waited ~5 s for a frame met it in CI).
        limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S)
        # Every test client speaks plain HTTP to loopback: without verify=False each client loads
        # the CA bundle, ~65 ms of CPU, and the suite makes thousands of them.
        return httpx.AsyncClient(
            verify=False, base_url=self.base_url, timeout=TIMEOUT_S, limits=limits
        )

    async def post_cue(self, show_id: str, cue: dict[str, Any], cue_id: str | None = None) -> Any:
        """Publish a live cue as the producer and return the JSON answer."""
        body: dict[str, Any] = {"cue": cue}
        if cue_id is not None:
            body["id"] = cue_id
        async with self.http() as client:
            response = await client.post(
                f"/api/shows/{show_id}/cues",
                json=body,
                headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
            )
        assert response.status_code == 201, response.text
        return response.json()


class InProcessServer(LiveServer):
    """uvicorn serving ``create_app`` in the test's own event loop."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        super().__init__(port=free_port(), settings=settings)
        self.app = create_app(settings, redis_url)
        self._server = uvicorn.Server(uvicorn_config(self.app, settings, port=self.port))
        self._server.install_signal_handlers = False  # type: ignore[attr-defined]
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(TIMEOUT_S):
            while not self._server.started:
                if self._task.done():
                    self._task.result()
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


class ProcessServer(LiveServer):
    """``python -m livebuy serve`` as its own process, configured by environment variables
    (``workers`` > 1: the supervisor and its worker processes on one port)."""

    def __init__(self, settings: Settings, redis_url: str, *, workers: int = 1) -> None:
        super().__init__(port=free_port(), settings=settings)
        env = {**os.environ, "LIVEBUY_REDIS_URL": redis_url, "LIVEBUY_PORT": str(self.port)}
        for name, value in settings.flat().items():
            if name in ("redis_url", "port"):
                continue
            if value is not None:
                env[f"LIVEBUY_{name.upper()}"] = (
                    json.dumps(value) if isinstance(value, list) else str(value)
                )
        # Secrets dump masked; pass their real values.
        env["LIVEBUY_PRODUCER_TOKEN"] = settings.security.producer_token.get_secret_value()
        env["LIVEBUY_SESSION_SECRET"] = settings.security.session_secret.get_secret_value()
        # A file, not a pipe: nobody drains a pipe while the test runs, and a full one blocks.
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "livebuy", "serve", "--workers", str(workers)],
            env=env,
            stderr=self._log,
        )

    async def start(self) -> None:
        await wait_until_ready(self._process, self.base_url, self._log)

    def log_tail(self, chars: int = 6000) -> str:
        """The end of what the process wrote to stderr, for a failing test's message."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-chars:]

    @property
    def pid(self) -> int:
        """The process's pid (with ``workers`` > 1, the supervisor's)."""
        return self._process.pid

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to the process (SIGTERM: its graceful drain)."""
        self._process.send_signal(sig)

    async def exited(self) -> int:
        """Wait (at most the suite's timeout, thrice) for the process to exit: its status."""
        return await asyncio.wait_for(asyncio.to_thread(self._process.wait), TIMEOUT_S * 3)

    async def kill(self) -> None:
        """End the process abruptly (SIGKILL), as a crash would: no shutdown steps run."""
        self._process.kill()
        await asyncio.to_thread(self._process.wait)

    async def stop(self) -> None:
        await asyncio.to_thread(terminate, self._process, 10)
        self._log.close()


async def wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: IO[bytes]) -> None:
    """Poll ``/readyz`` until it answers 200; if the process exits first, fail with its log."""
    async with (
        asyncio.timeout(TIMEOUT_S * 3),
        httpx.AsyncClient(verify=False, base_url=base_url, timeout=TIMEOUT_S) as client,
    ):
        while True:
            if process.poll() is not None:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-3000:]
                raise RuntimeError(f"server exited with {process.returncode}: {tail}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


async def receive_json(ws: ClientConnection) -> dict[str, Any]:
    """The next frame as JSON, waiting at most the suite's timeout; a frame that breaks the
    AsyncAPI document fails the test (``tests/frame_contract.py``)."""
    async with asyncio.timeout(TIMEOUT_S):
        frame: dict[str, Any] = json.loads(await ws.recv())
    check_frame(frame)
    return frame


async def receive_until(ws: ClientConnection, frame_type: str) -> dict[str, Any]:
    """Skip frames until one of ``frame_type`` arrives."""
    while True:
        frame = await receive_json(ws)
        if frame["type"] == frame_type:
            return frame
