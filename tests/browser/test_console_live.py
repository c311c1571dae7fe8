"""The console's live additions in Chromium: announcement, pinned stock, velocity, funnel, preview."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page, expect
from websockets.asyncio.client import connect

from tests.analytics.test_sales import paid
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_console import sign_in
from tests.chat.helpers import next_reply, send
from tests.commerce.helpers import auth, session_tokens
from tests.servers import PRODUCER_TOKEN, LiveServer, receive_json

SHOW = "spring-runway"
PRODUCT = "aurelle-silk-slip-dress"
TALL = {"width": 1280, "height": 1500}
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


async def test_console_shows_stock_velocity_funnel_preview_and_clears_the_announcement(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """One console load: live stock and "bought" drop/rise with a sale, funnel rows, preview, Clear."""
    server = await web_server(sales_velocity_interval_ms=200)
    pin = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    await server.post_cue(SHOW, {"kind": "announce", "text": "Doors open at eight"})
    async with server.http() as client:
        detail = (await client.get(f"/api/catalog/products/{PRODUCT}")).json()
    sku = detail["variants"][0]["sku"]
    total = detail["available"]
    console = await new_page(viewport=TALL)
    await sign_in(console, server, PRODUCER_TOKEN)

    await expect(console.locator("#announcement-now")).to_have_text("Doors open at eight")
    row = console.locator(f'#pinned-stock tr[data-product-id="{PRODUCT}"]')
    await expect(row.locator(".left")).to_have_text(str(total))
    await expect(row.locator(".velocity")).to_have_count(0)

    # A viewer's card view (Python client, a session) and signals.js in the browser (no session).
    (token,) = await session_tokens(server, 1)
    async with connect(server.ws_url(SHOW, token=token)) as viewer:
        await receive_json(viewer)
        await send(viewer, "card_seen", cue_id=pin["cue_id"])
        await send(viewer, "ping")
        assert (await next_reply(viewer))["type"] == "pong"
    await console.add_script_tag(url="/static/signals.js")
    sent = await console.evaluate(
        """async ([url, cueId]) => {
            const socket = new WebSocket(url);
            await new Promise((resolve) => socket.addEventListener("open", resolve));
            const report = window.livebuySignals.reportCardSeen;
            const answers = [report(socket, cueId), report(socket, cueId)];
            socket.send(JSON.stringify({ type: "ping", data: {} }));
            await new Promise((resolve) => socket.addEventListener("message", (event) => {
                if (JSON.parse(event.data).type === "pong") resolve();
            }));
            socket.close();
            return answers;
        }""",
        [server.ws_url(SHOW), pin["cue_id"]],
    )
    assert sent == [True, False]
    async with server.http() as client:
        body = {"quantity": 1, "show_id": SHOW}
        put = await client.put(f"/api/cart/items/{sku}", json=body, headers=auth(token))
        assert put.status_code == 200, put.text
        await paid(client, token, "c1", sku=sku, show_id=SHOW)

    await expect(row.locator(".left")).to_have_text(str(total - 1))
    await expect(row.locator(".velocity")).to_have_text("1 bought")
    funnel = console.locator(f'#funnel tr[data-product-id="{PRODUCT}"]')
    await expect(funnel.locator(".shown")).to_have_text("2")
    await expect(funnel.locator(".bag")).to_have_text("1")
    await expect(funnel.locator(".bought")).to_have_text("1")

    await console.get_by_role("button", name="Show preview").click()
    preview = console.frame_locator("#preview")
    await expect(preview.locator(f'.card[data-product-id="{PRODUCT}"]')).to_be_visible()
    await expect(preview.locator("#announcement")).to_have_text("Doors open at eight")
    frame = console.frame(url=f"{server.base_url}/shows/{SHOW}")
    assert frame is not None
    assert await frame.evaluate("[...document.querySelectorAll('video')].every((v) => v.muted)")

    clear = console.get_by_role("button", name="Clear announcement")
    await clear.click()
    await expect(console.locator("#announcement-now")).to_have_text("none")
    await expect(clear).to_be_disabled()
    await expect(preview.locator("#announcement")).to_have_text("")
    path = await console_screenshot(console)
    shutil.copyfile(path, DOCS_IMG / "console.png")


async def console_screenshot(page: Page) -> Path:
    """The console as the producer sees it (the run sheet below cut off), under ``artifacts/``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "console-live.png"
    await page.screenshot(path=str(path))
    return path
