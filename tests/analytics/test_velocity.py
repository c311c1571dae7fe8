"""Sales velocity: paid units per product in the trailing window, pushed only when they change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from websockets.asyncio.client import connect

from livebuy.analytics.velocity import SalesVelocity
from livebuy.clock import now_ms
from livebuy.events.stream import ShowStream
from tests.analytics.helpers import SHOW
from tests.analytics.test_sales import paid
from tests.commerce.helpers import PRODUCT, SKU, buy, session_tokens
from tests.servers import LiveServer, receive_json, receive_until

MakeServer = Callable[..., Awaitable[LiveServer]]


async def test_orders_paid_on_one_process_reach_viewers_of_another_and_drop_out(
    make_server: MakeServer,
) -> None:
    """Units paid through B show in the frame a viewer of A gets; they leave it after the window."""
    options = {"sales_velocity_interval_ms": 200, "sales_velocity_window_ms": 5000}
    # Two OS processes: A serves in the test's process, B is ``livebuy serve`` of its own.
    first = await make_server(**options)
    second = await make_server(process=True, **options)
    (token,) = await session_tokens(second, 1)
    async with connect(first.ws_url(SHOW)) as viewer:
        snapshot = await receive_json(viewer)
        assert "sales_velocity" not in snapshot["data"]
        async with second.http() as client:
            order = await paid(client, token, "v1", sku=SKU, quantity=3, show_id=SHOW)
            # Neither an order outside the show nor an unpaid one counts.
            await paid(client, token, "v2", sku=SKU)
            assert (await buy(client, token, "v3", sku=SKU, show_id=SHOW)).status_code == 201
        frame = await receive_until(viewer, "sales_velocity")
        assert frame["data"] == {"products": {PRODUCT: 3}}
        # A late joiner on the other process gets the figures in its snapshot.
        async with connect(second.ws_url(SHOW)) as late:
            joined = await receive_json(late)
        assert joined["data"]["sales_velocity"] == {"products": {PRODUCT: 3}}
        # The next change, and the next frame, is the window running out.
        emptied = await receive_until(viewer, "sales_velocity")
        assert emptied["data"] == {"products": {}}
        # Never before the window has passed since the units were paid.
        assert emptied["at"] >= order["paid_at"] + 5000
    async with connect(second.ws_url(SHOW)) as after:
        assert "sales_velocity" not in (await receive_json(after))["data"]


async def test_counts_are_exact_and_pushed_only_on_change(
    make_server: MakeServer, redis: Redis
) -> None:
    """On an injected clock: exact units per product, no frame without a change, drop-out at 60 s."""
    # The server's own pusher steps at start, then not for a minute: the test drives one itself.
    server = await make_server(sales_velocity_interval_ms=60_000)
    clock = [now_ms()]
    velocity = SalesVelocity(
        redis,
        ShowStream(redis, 1000),
        SHOW,
        interval_ms=1000,
        window_ms=60_000,
        lease_ms=5000,
        clock=lambda: clock[0],
    )
    (token,) = await session_tokens(server, 1)
    async with server.http() as client:
        products = (await client.get("/api/catalog/products")).json()["items"][:2]
        other = next(product["id"] for product in products if product["id"] != PRODUCT)
        other_sku = (await client.get(f"/api/catalog/products/{other}")).json()["variants"][0][
            "sku"
        ]
        await paid(client, token, "e1", sku=SKU, quantity=2, show_id=SHOW)
        clock[0] = now_ms()
        assert await velocity.step() is True
        assert await velocity.counts() == {PRODUCT: 2}
        assert await velocity.step() is False
        clock[0] += 30_000
        await paid(client, token, "e2", sku=other_sku, quantity=3, show_id=SHOW)
    async with connect(server.ws_url(SHOW)) as viewer:
        await receive_json(viewer)
        assert await velocity.step() is True
        frame = await receive_until(viewer, "sales_velocity")
        assert frame["data"] == {"products": {PRODUCT: 2, other: 3}}
        # Past 60 s after the first order: its units drop out, the second order's stay.
        clock[0] += 30_001
        assert await velocity.step() is True
        assert (await receive_until(viewer, "sales_velocity"))["data"] == {"products": {other: 3}}
        clock[0] = now_ms() + 60_001
        assert await velocity.step() is True
        assert (await receive_until(viewer, "sales_velocity"))["data"] == {"products": {}}
        assert await velocity.step() is False
