"""The producer console in Chromium: token login, a pin and a confirmed deal reach the viewer."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import PRODUCER_TOKEN, LiveServer

PRODUCT = "nordhaven-cropped-trench"
DESKTOP = {"width": 1280, "height": 900}


async def sign_in(page: Page, server: LiveServer, token: str) -> None:
    await page.goto(f"{server.base_url}/console")
    await page.get_by_label("Producer token").fill(token)
    await page.get_by_role("button", name="Open console").click()
    await expect(page.locator("#login")).to_be_hidden()
    await expect(page.locator("#connection")).to_have_text("on air")


async def test_console_pin_and_deal_show_on_viewer(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A pin clicked in the console shows the card on a viewer; a deal needs a confirmation."""
    server = await web_server()
    viewer = await new_page()
    await viewer.goto(f"{server.base_url}/")
    await viewer.wait_for_function("livebuy.state.lastSeq !== null")
    console = await new_page(viewport=DESKTOP)
    await sign_in(console, server, PRODUCER_TOKEN)
    async with server.http() as client:
        name = (await client.get(f"/api/catalog/products/{PRODUCT}")).json()["name"]

    chat_top = await viewer.evaluate("document.getElementById('chat').getBoundingClientRect().top")
    await console.get_by_label("Product", exact=True).select_option(PRODUCT)
    await console.get_by_role("button", name="Pin", exact=True).click()
    card = viewer.locator(f'.card[data-product-id="{PRODUCT}"]')
    await expect(card.get_by_role("heading")).to_have_text(name)
    await expect(console.locator("#on-air")).to_contain_text(name)

    await console.get_by_label("Units", exact=True).fill("5")
    await console.get_by_role("button", name="Start deal…").click()
    await expect(console.get_by_role("dialog")).to_contain_text("5 units")
    await console.get_by_role("button", name="Start deal", exact=True).click()
    await expect(viewer.locator(".banner.deal")).to_contain_text("5 left")
    await expect(card.locator(".deal-price")).to_have_text("€99.00")
    # Two buyers take a deal unit each: the banner's units left follow the live stock frames.
    deal_id = await viewer.evaluate("[...livebuy.state.deals.keys()][0]")
    async with server.http() as client:
        sku = (await client.get(f"/api/catalog/products/{PRODUCT}")).json()["variants"][0]["sku"]
        for key in ("buyer-1", "buyer-2"):
            token = (await client.post("/api/sessions")).json()["token"]
            bought = await client.post(
                "/api/orders",
                json={"sku": sku, "quantity": 1, "show_id": "spring-runway", "deal_id": deal_id},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
            assert bought.status_code == 201, bought.text
    await expect(viewer.locator(".banner.deal")).to_contain_text("3 left")
    await expect(console.locator("#result")).to_contain_text("deal: sent as seq")
    await console.get_by_label("Announcement").fill("A long announcement. " * 12)
    await console.get_by_role("button", name="Announce", exact=True).click()
    await expect(viewer.locator("#announcement")).to_contain_text("A long announcement.")
    # Nothing that arrived (card, deal banner, long announcement) moved the page below it.
    assert (
        await viewer.evaluate("document.getElementById('chat').getBoundingClientRect().top")
        == chat_top
    )
    await save_screenshot(console, "console.png")


async def test_console_refuses_a_wrong_token(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A wrong token is refused by the console's websocket: the console asks to sign in again."""
    server = await web_server()
    console = await new_page(viewport=DESKTOP)
    await console.goto(f"{server.base_url}/console")
    await console.get_by_label("Producer token").fill("not-the-token")
    await console.get_by_role("button", name="Open console").click()
    await expect(console.locator("#login")).to_be_visible()
    await expect(console.locator("#connection")).to_have_text("The token was refused.")
    async with server.http() as client:
        detail = (await client.get("/api/shows/spring-runway")).json()
    assert detail["latest_seq"] == 0


async def post_chat(page: Page, text: str) -> None:
    await page.get_by_label("Message").fill(text)
    await page.get_by_role("button", name="Send").click()


async def test_console_moderates_chat(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A message deleted in the console vanishes for viewers; a muted viewer gets an error toast."""
    server = await web_server()
    viewer = await new_page()
    await viewer.goto(f"{server.base_url}/")
    await expect(viewer.locator("#connection")).to_have_text("LIVE")
    console = await new_page(viewport=DESKTOP)
    await sign_in(console, server, PRODUCER_TOKEN)

    await post_chat(viewer, "first!")
    row = console.locator("#mod-chat li", has_text="first!")
    await row.get_by_role("button", name=re.compile("^Delete")).click()
    await expect(viewer.locator("#chat-log li", has_text="first!")).to_have_count(0)

    await post_chat(viewer, "second")
    await (
        console.locator("#mod-chat li", has_text="second")
        .get_by_role("button", name=re.compile("^Mute"))
        .click()
    )
    await expect(console.locator("#result")).to_have_text("mute: done")
    await post_chat(viewer, "third")
    await expect(viewer.locator("#toasts .toast")).to_be_visible()
    await expect(console.locator("#mod-chat li", has_text="third")).to_have_count(0)


async def test_console_clears_the_announcement(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Clear announcement in the console empties the viewer's announcement line."""
    server = await web_server()
    await server.post_cue("spring-runway", {"kind": "announce", "text": "Doors open at eight"})
    viewer = await new_page()
    await viewer.goto(f"{server.base_url}/")
    await expect(viewer.locator("#announcement")).to_have_text("Doors open at eight")
    console = await new_page(viewport=DESKTOP)
    await sign_in(console, server, PRODUCER_TOKEN)
    await console.get_by_role("button", name="Clear announcement").click()
    await expect(viewer.locator("#announcement")).to_have_text("")
    await expect(console.locator("#on-air")).not_to_contain_text("Doors open")
