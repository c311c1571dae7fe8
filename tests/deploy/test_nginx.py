"""docs/nginx.conf in a real nginx: valid, websockets upgraded, forwarded headers, /metrics hidden."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.deploy.conftest import StartNginx
from tests.deploy.nginx import LocalNginx, RecordingUpstream, nginx_binary
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer, receive_json, receive_until

SHOW = "spring-runway"


async def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as spelled (HTTP clients normalise paths): status and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n".encode()
        )
        async with asyncio.timeout(TIMEOUT_S):
            response = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.fixture
async def upstream() -> AsyncIterator[RecordingUpstream]:
    """A recording HTTP upstream on a free loopback port."""
    server = RecordingUpstream()
    await server.start()
    yield server
    await server.stop()


def test_nginx_config_is_valid(tmp_path: Path) -> None:
    """`nginx -t` accepts docs/nginx.conf (upstream and listen address adapted to loopback)."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (scripts/test installs it)")
    result = LocalNginx(binary, tmp_path, upstream_ports=[9]).test_config()
    assert result.returncode == 0, result.stderr.decode()


async def test_forwarded_headers_name_the_peer_and_upstream_connections_are_reused(
    start_nginx: StartNginx, upstream: RecordingUpstream
) -> None:
    """A client's own X-Forwarded-For is replaced by its address; plain requests share one upstream connection."""
    nginx = await start_nginx(upstream.port)
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"}
    async with httpx.AsyncClient(
        verify=False, base_url=nginx.base_url, timeout=TIMEOUT_S
    ) as client:
        for _ in range(3):
            response = await client.get("/api/shows", headers={**spoofed, "Host": "shop.example"})
            assert response.status_code == 200, nginx.log_tail()
    assert upstream.connections == 1
    assert all(line.endswith("HTTP/1.1") for line in upstream.request_lines)
    head = upstream.heads[-1]
    assert head["x-forwarded-for"] == ["127.0.0.1"]
    assert head["x-real-ip"] == ["127.0.0.1"]
    assert head["x-forwarded-proto"] == ["http"]
    assert head["x-forwarded-host"] == ["shop.example"]
    assert head["host"] == ["shop.example"]
    assert "connection" not in head

    handshake = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    async with httpx.AsyncClient(
        verify=False, base_url=nginx.base_url, timeout=TIMEOUT_S
    ) as client:
        await client.get(f"/ws/shows/{SHOW}", headers={**handshake, "Sec-WebSocket-Key": "x" * 24})
    head = upstream.heads[-1]
    assert head["upgrade"] == ["websocket"]
    assert head["connection"] == ["upgrade"]


async def test_websocket_and_api_through_nginx(
    start_nginx: StartNginx, make_server: Callable[..., Awaitable[LiveServer]]
) -> None:
    """Through nginx a viewer gets its snapshot and a live cue; the API answers; /metrics does not."""
    server = await make_server(process=True)
    nginx = await start_nginx(server.port)
    async with connect(f"ws://127.0.0.1:{nginx.port}/ws/shows/{SHOW}") as ws:
        snapshot = await receive_json(ws)
        assert snapshot["type"] == "snapshot"
        async with httpx.AsyncClient(
            verify=False, base_url=nginx.base_url, timeout=TIMEOUT_S
        ) as client:
            published = await client.post(
                f"/api/shows/{SHOW}/cues",
                json={"cue": {"kind": "pin", "product_id": "lunaire-aviator"}},
                headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
            )
        assert published.status_code == 201, published.text
        cue = await receive_until(ws, "cue")
    assert cue["seq"] == published.json()["seq"]
    assert cue["data"]["product"]["id"] == "lunaire-aviator"


async def test_metrics_are_not_exposed_through_nginx(
    start_nginx: StartNginx, make_server: Callable[..., Awaitable[LiveServer]]
) -> None:
    """/metrics answers on the gateway itself but 404 through nginx, however the path is spelled."""
    server = await make_server(process=True)
    nginx = await start_nginx(server.port)
    async with server.http() as client:
        direct = await client.get("/metrics")
    assert direct.status_code == 200
    assert "# HELP" in direct.text
    for target in ("/metrics", "/metrics?format=text", "/%6Detrics", "//metrics", "/x/../metrics"):
        status, body = await raw_get(nginx.port, target)
        assert status == 404, (target, status)
        assert b"# HELP" not in body, target
    assert (await raw_get(nginx.port, "/readyz"))[0] == 200


async def test_oversized_requests_are_refused_by_nginx(
    start_nginx: StartNginx, upstream: RecordingUpstream
) -> None:
    """Bodies over 64 KiB get 413 and a header line over 8 KiB gets 400, before any gateway sees them."""
    nginx = await start_nginx(upstream.port)
    async with httpx.AsyncClient(
        verify=False, base_url=nginx.base_url, timeout=TIMEOUT_S
    ) as client:
        body = await client.post("/api/sessions", content=b"x" * (64 * 1024 + 1))
        header = await client.get("/api/shows", headers={"X-Big": "x" * 9000})
        fine = await client.post("/api/sessions", content=b"x" * 1024)
    assert body.status_code == 413
    assert header.status_code == 400
    assert fine.status_code == 200
    assert upstream.request_lines == ["POST /api/sessions HTTP/1.1"]
