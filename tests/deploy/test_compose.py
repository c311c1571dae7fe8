"""compose.yaml comes up with one command, and its gateway service really starts as composed."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.redis.embedded import EmbeddedRedis
from tests.deploy.compose import (
    ENV_EXAMPLE,
    ROOT,
    ComposedGateway,
    MissingVariableError,
    generate_env,
    load_compose,
    read_dotenv,
)
from tests.servers import TIMEOUT_S, receive_json

SECRETS = {"LIVEBUY_PRODUCER_TOKEN", "LIVEBUY_SESSION_SECRET"}


def required_variables() -> set[str]:
    """Variables compose.yaml marks required (``${NAME:?message}``)."""
    text = (ROOT / "compose.yaml").read_text()
    return {part.split(":?")[0] for part in text.split("${")[1:] if ":?" in part.split("}")[0]}


def test_compose_without_secrets_fails_with_a_clear_message() -> None:
    """Missing or empty secrets (a bare copy of .env.example) stop compose, naming the fix."""
    assert required_variables() == SECRETS
    for env in ({}, read_dotenv(ENV_EXAMPLE)):
        with pytest.raises(MissingVariableError, match="run scripts/compose-env"):
            load_compose(env)


def test_compose_env_writes_random_secrets_once(tmp_path: Path) -> None:
    """scripts/compose-env fills every required secret at random in a 0600 .env and keeps them."""
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text())
    first = generate_env(tmp_path)
    assert SECRETS <= first.keys()
    assert all(len(first[name]) >= 40 for name in SECRETS)
    assert first["LIVEBUY_PRODUCER_TOKEN"] != first["LIVEBUY_SESSION_SECRET"]
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
    assert generate_env(tmp_path) == first
    load_compose(first)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert generate_env(fresh)["LIVEBUY_PRODUCER_TOKEN"] != first["LIVEBUY_PRODUCER_TOKEN"]


def test_env_file_never_reaches_git_or_the_image() -> None:
    """.env is ignored by git and kept out of the Docker build context."""
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()
    listed = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env"],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=TIMEOUT_S,
    )
    assert listed.returncode != 0


def test_services_restart_and_proxy_waits_for_healthy_gateways(tmp_path: Path) -> None:
    """Every service restarts; gateways are healthy on /readyz before nginx starts; nginx is trusted."""
    compose = load_compose(generate_env(tmp_path))
    services: dict[str, Any] = compose["services"]
    assert all(service.get("restart") for service in services.values())
    gateway = services["gateway"]
    assert "/readyz" in " ".join(gateway["healthcheck"]["test"])
    assert services["proxy"]["depends_on"]["gateway"] == {"condition": "service_healthy"}
    assert "./docs/nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    for name in ("redis", "video-redis"):
        assert gateway["depends_on"][name] == {"condition": "service_healthy"}
    (subnet,) = [pool["subnet"] for pool in compose["networks"]["livebuy"]["ipam"]["config"]]
    ipaddress.ip_network(subnet)
    assert json.loads(gateway["environment"]["LIVEBUY_TRUSTED_PROXIES"]) == [subnet]
    assert all(service["networks"] == ["livebuy"] for service in services.values())


async def test_gateway_service_runs_as_composed(
    tmp_path: Path, redis_server: EmbeddedRedis, redis: Redis
) -> None:
    """The gateway's command and environment (production, video on) serve readyz, video, websockets."""
    gateway_service = load_compose(generate_env(tmp_path))["services"]["gateway"]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    gateway = ComposedGateway(gateway_service, redis_server.url, data_dir)
    assert gateway.env["LIVEBUY_ENVIRONMENT"] == "production"
    try:
        await gateway.start()
        # compose's own healthcheck command, run in the container's environment.
        healthcheck = gateway_service["healthcheck"]["test"]
        assert healthcheck[0] == "CMD"
        check = await asyncio.create_subprocess_exec(*healthcheck[1:], env=gateway.env)
        async with asyncio.timeout(TIMEOUT_S):
            assert await check.wait() == 0
        async with connect(f"ws://127.0.0.1:{gateway.port}/ws/shows/spring-runway") as ws:
            snapshot = await receive_json(ws)
        assert snapshot["type"] == "snapshot"
        assert snapshot["data"]["show"]["id"] == "spring-runway"
        # The composed demo has its video: ffmpeg (with its font) encodes and publishes segments.
        async with httpx.AsyncClient(
            verify=False, base_url=gateway.base_url, timeout=TIMEOUT_S
        ) as client:
            async with asyncio.timeout(TIMEOUT_S * 3):
                while True:
                    if (await client.get("/readyz")).json().get("video") == "encoding":
                        break
                    await asyncio.sleep(0.1)
            playlist = await client.get("/video/spring-runway/index.m3u8")
        assert playlist.status_code == 200, playlist.text
        assert "#EXTINF" in playlist.text
    except BaseException:
        print(gateway.log_tail())
        raise
    finally:
        await gateway.stop()
