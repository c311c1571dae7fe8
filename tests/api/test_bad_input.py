"""Bad input at the HTTP edge is refused with a JSON 4xx, never a 500 or a foreign redirect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.servers import PRODUCER_TOKEN, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
SHOW = "spring-runway"
PRODUCER = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}


async def test_huge_and_negative_paging_is_422(make_server: MakeServer) -> None:
    """Offsets and limits out of range (up to 2**63-1 and beyond) answer 422 ``invalid_input``."""
    server = await make_server()
    async with server.http() as client:
        for query in (
            "offset=9223372036854775807",
            "offset=9223372036854775808",
            "offset=1000001",
            "offset=-1",
            "offset=-9223372036854775809",
            "limit=0",
            "limit=101",
            "limit=9223372036854775807",
            "limit=-5",
            "offset=99999999999999999999999999&limit=100",
        ):
            response = await client.get(f"/api/catalog/products?{query}")
            assert response.status_code == 422, (query, response.text[:200])
            assert response.json()["error"]["code"] == "invalid_input", query
        last = await client.get("/api/catalog/products?offset=1000000&limit=100")
        assert last.status_code == 200 and last.json()["items"] == []


async def test_malformed_message_ids_are_422_and_unknown_ones_404(
    make_server: MakeServer,
) -> None:
    """Moderation refuses message ids that are not stream ids (422) before Redis sees them."""
    server = await make_server()
    async with server.http() as client:
        for bad in ("abc", "1-2-3", "-1", "1-", "99999999999999999999-0", "1763928000000"):
            deleted = await client.delete(
                f"/api/shows/{SHOW}/chat/messages/{bad}", headers=PRODUCER
            )
            assert deleted.status_code == 422, (bad, deleted.text[:200])
            assert deleted.json()["error"]["code"] == "invalid_input"
            pinned = await client.put(
                f"/api/shows/{SHOW}/chat/pin", json={"message_id": bad}, headers=PRODUCER
            )
            assert pinned.status_code == 422, (bad, pinned.text[:200])
            assert pinned.json()["error"]["code"] == "invalid_input"
        for unknown in ("1-0", "9999999999999999999-9999999999999999999"):
            deleted = await client.delete(
                f"/api/shows/{SHOW}/chat/messages/{unknown}", headers=PRODUCER
            )
            assert deleted.status_code == 404, (unknown, deleted.text[:200])
            assert deleted.json()["error"]["code"] == "unknown_message"
            pinned = await client.put(
                f"/api/shows/{SHOW}/chat/pin", json={"message_id": unknown}, headers=PRODUCER
            )
            assert pinned.status_code == 404, (unknown, pinned.text[:200])


async def test_unknown_methods_are_405_with_allow(make_server: MakeServer) -> None:
    """``TRACE /`` and other methods a path does not take answer 405 JSON with ``Allow``."""
    server = await make_server()
    async with server.http() as client:
        for method, url, allowed in (
            ("TRACE", "/", "GET"),
            ("DELETE", "/healthz", "GET"),
            ("PATCH", "/api/shows", "GET"),
            ("POST", "/static/viewer.js", "GET"),
        ):
            response = await client.request(method, url)
            assert response.status_code == 405, (method, url, response.text[:200])
            assert allowed in response.headers["allow"], (method, url)
            assert response.json()["error"]["code"] == "method_not_allowed"


async def test_no_redirect_to_a_foreign_host(make_server: MakeServer) -> None:
    """``Host: evil.example`` never turns into a redirect to that host."""
    server = await make_server()
    async with server.http() as client:
        for url in ("/static", "/static/", "/catalog/images", "/catalog/images/", "/api/shows/"):
            response = await client.get(url, headers={"Host": "evil.example"})
            assert "evil.example" not in response.headers.get("location", ""), url
            assert not response.is_redirect, (url, response.status_code)
            assert response.status_code == 404, (url, response.status_code)
            assert response.json()["error"]["code"] == "not_found"
