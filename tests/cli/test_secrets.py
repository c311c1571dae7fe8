"""Secrets by default: ``serve`` refuses weak ones, ``demo`` generates and keeps its own."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import signal
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from livebuy.redis.embedded import EmbeddedRedis, free_port
from livebuy.settings import PLACEHOLDER_TOKEN
from tests.cli.helpers import cli_env, run_livebuy
from tests.servers import TIMEOUT_S

STRONG = "a-long-random-test-secret-0123456789"


@pytest.mark.parametrize(
    ("session_secret", "producer_token", "named"),
    [
        (None, STRONG, "LIVEBUY_SESSION_SECRET"),
        (PLACEHOLDER_TOKEN, STRONG, "LIVEBUY_SESSION_SECRET"),
        ("", STRONG, "LIVEBUY_SESSION_SECRET"),
        ("short-secret", STRONG, "LIVEBUY_SESSION_SECRET"),
        (STRONG, PLACEHOLDER_TOKEN, "LIVEBUY_PRODUCER_TOKEN"),
        (STRONG, None, "LIVEBUY_PRODUCER_TOKEN"),
    ],
)
async def test_serve_refuses_weak_secrets_in_every_environment(
    redis_server: EmbeddedRedis, session_secret: str | None, producer_token: str | None, named: str
) -> None:
    """A placeholder, empty or short secret: exit 2, one line naming it, no traceback, no value."""
    values = {"LIVEBUY_REDIS_URL": redis_server.url, "LIVEBUY_PORT": str(free_port())}
    if session_secret is not None:
        values["LIVEBUY_SESSION_SECRET"] = session_secret
    if producer_token is not None:
        values["LIVEBUY_PRODUCER_TOKEN"] = producer_token
    done = await run_livebuy(cli_env(**values), "serve")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0] and "--insecure-dev" in lines[0]
    assert "Traceback" not in done.stderr
    for secret in (session_secret, producer_token):
        if secret and secret != STRONG:
            assert secret not in done.stderr + done.stdout


async def test_serve_refuses_placeholders_in_production_without_a_traceback(
    redis_server: EmbeddedRedis,
) -> None:
    """``LIVEBUY_ENVIRONMENT=production`` with placeholders is one clear line and exit 2 too."""
    env = cli_env(LIVEBUY_REDIS_URL=redis_server.url, LIVEBUY_ENVIRONMENT="production")
    done = await run_livebuy(env, "serve")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


async def _wait_ready(port: int, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(TIMEOUT_S * 3), httpx.AsyncClient(verify=False) as client:
        while True:
            assert process.returncode is None, "the server exited"
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


@asynccontextmanager
async def _running(
    command: list[str], env: dict[str, str], port: int, log: Path
) -> AsyncIterator[None]:
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "livebuy", *command],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        await _wait_ready(port, process)
        yield
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), TIMEOUT_S * 2)


async def test_serve_insecure_dev_starts_with_a_warning(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """``--insecure-dev`` lets the placeholders through, with a loud warning on stderr."""
    port = free_port()
    env = cli_env(LIVEBUY_REDIS_URL=redis_server.url, LIVEBUY_PORT=str(port))
    log = tmp_path / "serve.log"
    async with _running(["serve", "--insecure-dev"], env, port, log):
        pass
    assert "insecure" in log.read_text().lower()


async def test_demo_keeps_its_generated_session_secret_across_restarts(tmp_path: Path) -> None:
    """The demo writes a random secret (mode 0600) once; a token issued before a restart works after."""
    port = free_port()
    env = cli_env(LIVEBUY_DATA_DIR=str(tmp_path))
    command = ["demo", "--port", str(port), "--no-video"]
    log = tmp_path / "demo.log"
    base = f"http://127.0.0.1:{port}"
    async with (
        _running(command, env, port, log),
        httpx.AsyncClient(verify=False, base_url=base) as client,
    ):
        token = (await client.post("/api/sessions")).json()["token"]
        assert (
            await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 200
    secret_file = tmp_path / "session-secret"
    secret = secret_file.read_text().strip()
    assert len(secret) >= 32
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    async with (
        _running(command, env, port, log),
        httpx.AsyncClient(verify=False, base_url=base) as client,
    ):
        answer = await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        forged = token.split(".")[0] + ".0123456789abcdef0123456789abcdef"
        refused = await client.get("/api/orders", headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401
    assert secret_file.read_text().strip() == secret
    assert secret not in log.read_text()


async def test_demo_uses_an_explicit_session_secret(tmp_path: Path) -> None:
    """An explicitly set ``LIVEBUY_SESSION_SECRET`` wins over the generated one."""
    port = free_port()
    env = cli_env(LIVEBUY_DATA_DIR=str(tmp_path), LIVEBUY_SESSION_SECRET=STRONG)
    async with (
        _running(["demo", "--port", str(port), "--no-video"], env, port, tmp_path / "demo.log"),
        httpx.AsyncClient(verify=False, base_url=f"http://127.0.0.1:{port}") as client,
    ):
        issued = (await client.post("/api/sessions")).json()
    session_id, _, signature = issued["token"].partition(".")
    expected = hmac.new(STRONG.encode(), session_id.encode(), hashlib.sha256).hexdigest()[:32]
    assert signature == expected
