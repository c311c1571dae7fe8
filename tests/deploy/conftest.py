"""Fixtures of the deploy tests: docs/nginx.conf in a real nginx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.deploy.nginx import LocalNginx, nginx_binary

StartNginx = Callable[..., Awaitable[LocalNginx]]


@pytest.fixture
async def start_nginx(tmp_path: Path) -> AsyncIterator[StartNginx]:
    """Factory: nginx with docs/nginx.conf in front of an upstream port; stopped after the test."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (scripts/test installs it)")
    started: list[LocalNginx] = []

    async def start(*upstream_ports: int) -> LocalNginx:
        directory = tmp_path / f"nginx{len(started)}"
        directory.mkdir()
        nginx = LocalNginx(binary, directory, list(upstream_ports))
        started.append(nginx)
        await nginx.start()
        return nginx

    yield start
    for nginx in started:
        await nginx.stop()
