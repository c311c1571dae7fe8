"""Per-IP limits on creating sessions and orders, and the short life of unused sessions."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

import httpx
from redis.asyncio import Redis

from livebuy.api.client_ip import client_ip
from livebuy.redis import keys
from tests.servers import LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]
# One token a minute: nothing refills while a test runs, so the burst is all a client gets.
TIGHT = {"rate_limit_sessions_per_minute": 1, "rate_limit_sessions_burst": 3}


async def _create(client: httpx.AsyncClient, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return await client.post("/api/sessions", headers=headers)


async def test_session_creation_over_the_burst_gets_429_with_retry_after(
    make_server: MakeServer,
) -> None:
    """The burst+1-th session from one IP is 429 ``rate_limited`` with a Retry-After in seconds."""
    server = await make_server(**TIGHT)
    async with server.http() as client:
        created = [await _create(client) for _ in range(3)]
        refused = await _create(client)
    assert [answer.status_code for answer in created] == [201, 201, 201]
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_forwarded_for_from_an_untrusted_peer_does_not_bypass_the_limit(
    make_server: MakeServer,
) -> None:
    """Without trusted proxies a made-up X-Forwarded-For changes nothing: still 429."""
    server = await make_server(**TIGHT)
    async with server.http() as client:
        for index in range(3):
            assert (await _create(client, f"203.0.113.{index}")).status_code == 201
        refused = await _create(client, "198.51.100.99")
    assert refused.status_code == 429


async def test_a_trusted_proxy_separates_its_clients(make_server: MakeServer) -> None:
    """Behind a trusted proxy each forwarded client has its own bucket; spoofed hops do not help."""
    server = await make_server(**TIGHT, trusted_proxies=["127.0.0.1/32"])
    async with server.http() as client:
        for _ in range(3):
            assert (await _create(client, "203.0.113.5")).status_code == 201
        # The client wrote the left-most hop itself; the proxy appended the address it saw.
        spoofed = await _create(client, "198.51.100.1, 203.0.113.5")
        other = await _create(client, "203.0.113.6")
    assert spoofed.status_code == 429
    assert other.status_code == 201


async def test_order_creation_is_limited_per_ip(make_server: MakeServer) -> None:
    """POST /api/orders over the per-IP burst is 429 before anything is reserved."""
    server = await make_server(rate_limit_orders_per_minute=1, rate_limit_orders_burst=2)
    async with server.http() as client:
        token = (await client.post("/api/sessions")).json()["token"]
        product = (await client.get("/api/catalog/products")).json()["items"][0]
        sku = product["variants"][0]["sku"]
        answers = [
            await client.post(
                "/api/orders",
                json={"sku": sku, "quantity": 1},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{index}"},
            )
            for index in range(3)
        ]
    assert [answer.status_code for answer in answers[:2]] == [201, 201], answers[0].text
    assert answers[2].status_code == 429
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert int(answers[2].headers["Retry-After"]) >= 1


async def test_zero_disables_the_limit(make_server: MakeServer) -> None:
    """A per-minute limit of 0 turns the limit off."""
    server = await make_server(rate_limit_sessions_per_minute=0, rate_limit_sessions_burst=1)
    async with server.http() as client:
        answers = [await _create(client) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {201}


async def test_unused_sessions_expire_soon_and_first_use_extends_them(
    make_server: MakeServer, redis: Redis
) -> None:
    """A new session lives the short TTL; its first use gives it the long one."""
    server = await make_server(session_unused_ttl_s=120, session_ttl_s=86_400)
    async with server.http() as client:
        issued = (await client.post("/api/sessions")).json()
        key = keys.session(issued["session_id"])
        assert 0 < await redis.ttl(key) <= 120
        auth = {"Authorization": f"Bearer {issued['token']}"}
        assert (await client.get("/api/cart", headers=auth)).status_code == 200
        assert 120 < await redis.ttl(key) <= 86_400


def test_client_ip_takes_the_right_most_untrusted_hop() -> None:
    """X-Forwarded-For counts only behind trusted proxies, from the right, skipping trusted hops."""
    trusted = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]
    assert client_ip("192.0.2.1", ["203.0.113.9"], trusted) == "192.0.2.1"
    assert client_ip("127.0.0.1", [], trusted) == "127.0.0.1"
    assert client_ip("127.0.0.1", ["203.0.113.9"], trusted) == "203.0.113.9"
    assert client_ip("10.1.1.1", ["6.6.6.6, 203.0.113.9, 10.2.2.2"], trusted) == "203.0.113.9"
    assert client_ip("10.1.1.1", ["6.6.6.6", "203.0.113.9"], trusted) == "203.0.113.9"
    assert client_ip("10.1.1.1", ["10.3.3.3, 10.2.2.2"], trusted) == "10.3.3.3"
    assert client_ip("10.1.1.1", ["not-an-ip"], trusted) == "10.1.1.1"
    assert client_ip("10.1.1.1", ["2001:db8::1"], trusted) == "2001:db8::1"
