"""``POST /api/orders`` answered beside the router: the same answers, headers and errors as the route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from tests.commerce.helpers import SKU, auth
from tests.servers import LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


async def test_fast_answers_match_the_routes_own(make_server: MakeServer) -> None:
    """A buy, its replay and a refusal read as the route would write them; odd requests get the
    route's own validation errors; the HTTP histogram names the route."""
    server = await make_server(max_body_bytes=4096)
    async with server.http() as client:
        token = (await client.post("/api/sessions")).json()["token"]
        created = await client.post("/api/orders", json={"sku": SKU}, headers=auth(token, "k1"))
        assert created.status_code == 201, created.text
        assert created.headers["content-type"] == "application/json"
        assert created.headers["x-request-id"]
        order_id = created.json()["id"]
        # GET goes through FastAPI with the same response model: the bytes must agree.
        read = await client.get(f"/api/orders/{order_id}", headers=auth(token))
        assert created.content == read.content
        replayed = await client.post("/api/orders", json={"sku": SKU}, headers=auth(token, "k1"))
        assert (replayed.status_code, replayed.content) == (200, created.content)

        no_key = await client.post("/api/orders", json={"sku": SKU}, headers=auth(token))
        assert no_key.status_code == 400
        assert no_key.json()["error"]["code"] == "idempotency_key_required"
        unknown = await client.post(
            "/api/orders", json={"sku": "NO-SUCH-SKU"}, headers=auth(token, "k2")
        )
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "unknown_sku"

        extra = await client.post(
            "/api/orders", json={"sku": SKU, "colour": "red"}, headers=auth(token, "k3")
        )
        assert extra.status_code == 422
        assert extra.json()["error"]["problems"][0]["field"] == "body.colour"
        anonymous = await client.post(
            "/api/orders", json={"sku": SKU}, headers={"Idempotency-Key": "k4"}
        )
        assert anonymous.status_code == 401
        assert "POST /api/sessions" in anonymous.json()["error"]["message"]
        as_text = await client.post(
            "/api/orders",
            content=b'{"sku": "%s"}' % SKU.encode(),
            headers={**auth(token, "k5"), "Content-Type": "text/plain"},
        )
        assert as_text.status_code == 422
        assert as_text.json()["error"]["code"] == "invalid_input"

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"sku": "' + SKU.encode() + b'", "coupon": "'
            for _ in range(10):
                yield b"x" * 1000
            yield b'"}'

        too_big = await client.post(
            "/api/orders",
            content=chunks(),
            headers={**auth(token, "k6"), "Content-Type": "application/json"},
        )
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "payload_too_large"
        assert too_big.headers["x-request-id"]

        scraped = (await client.get("/metrics")).text
    timed = [
        line
        for line in scraped.splitlines()
        if line.startswith("livebuy_http_request_seconds_count")
        and 'route="/api/orders"' in line
        and 'method="POST"' in line
    ]
    assert any('status="2xx"' in line for line in timed), timed
    assert any('status="4xx"' in line for line in timed), timed
