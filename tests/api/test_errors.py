"""Unhandled errors at the HTTP edge: JSON 503 during a Redis outage, JSON 500 otherwise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from fastapi import APIRouter

from livebuy.redis.embedded import EmbeddedRedis
from tests.servers import PRODUCER_TOKEN, InProcessServer, LiveServer, settings_for_tests

SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]


async def test_redis_outage_answers_json_503_with_retry_after(tmp_path: Path) -> None:
    """With Redis stopped, endpoints that need it answer 503 ``unavailable`` JSON, never a 500."""
    redis = EmbeddedRedis(tmp_path)
    redis.start()
    server = InProcessServer(settings_for_tests(), redis.url)
    await server.start()
    producer = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}
    try:
        async with server.http() as client:
            token = (await client.post("/api/sessions")).json()["token"]
            viewer = {"Authorization": f"Bearer {token}"}
            redis.stop()
            requests = [
                ("GET", "/api/catalog/products", {}),
                ("GET", "/api/catalog/products/stridewell-court-low", {}),
                ("GET", "/api/shows", {}),
                ("GET", f"/api/shows/{SHOW}", {}),
                ("GET", f"/api/shows/{SHOW}/timeline", {}),
                ("POST", "/api/sessions", {}),
                ("GET", "/api/cart", viewer),
                ("GET", "/api/orders", viewer),
                ("GET", f"/api/shows/{SHOW}/analytics", producer),
            ]
            for method, url, headers in requests:
                response = await client.request(method, url, headers=headers)
                assert response.status_code == 503, (url, response.text[:300])
                assert response.headers["content-type"] == "application/json", url
                assert int(response.headers["retry-after"]) >= 1, url
                error = response.json()["error"]
                assert error["code"] == "unavailable" and error["message"], url
                assert error["request_id"] == response.headers["x-request-id"], url
    finally:
        redis.stop()
        await server.stop()


async def _server_with_failing_route(make_server_app: InProcessServer) -> InProcessServer:
    router = APIRouter()

    @router.get("/test-only/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    make_server_app.app.include_router(router)
    await make_server_app.start()
    return make_server_app


async def test_unexpected_error_is_json_500_with_logged_request_id(
    redis_server: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception answers JSON 500 ``internal_error``; the log line has its id."""
    server = await _server_with_failing_route(
        InProcessServer(settings_for_tests(), redis_server.url)
    )
    try:
        async with server.http() as client:
            with caplog.at_level(logging.ERROR):
                response = await client.get("/test-only/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        assert "secret internals" not in response.text and "Traceback" not in response.text
        error = response.json()["error"]
        assert error["code"] == "internal_error" and error["message"]
        request_id = response.headers["x-request-id"]
        assert error["request_id"] == request_id
        logged = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
        assert len(logged) == 1 and logged[0].exc_info is not None
        # The error is answered once, in JSON: nothing re-raised into uvicorn's log.
        assert not [r for r in caplog.records if r.name.startswith("uvicorn")]
    finally:
        await server.stop()


async def test_request_id_is_echoed_when_sane_and_generated_otherwise(
    make_server: MakeServer,
) -> None:
    """Every response names its request: a sane ``X-Request-Id`` is kept, others are replaced."""
    server = await make_server()
    async with server.http() as client:
        kept = await client.get("/healthz", headers={"X-Request-Id": "abc-123.DEF_4"})
        assert kept.headers["x-request-id"] == "abc-123.DEF_4"
        for bad in ("x" * 200, "a b", "<script>"):
            replaced = await client.get("/api/nope", headers={"X-Request-Id": bad})
            assert replaced.status_code == 404
            assert replaced.headers["x-request-id"] not in ("", bad)
        first = (await client.get("/healthz")).headers["x-request-id"]
        second = (await client.get("/healthz")).headers["x-request-id"]
        assert first and second and first != second
