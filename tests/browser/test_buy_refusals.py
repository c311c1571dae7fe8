"""Buying when it cannot work, in Chromium: a flash deal sold out under the viewer's thumb, and
a dead network. The viewer reads what happened in words, and nothing is ordered twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.servers import LiveServer

SHOW = "spring-runway"
PRODUCT = "sable-coast-leather-biker"
PROFILE = """localStorage.setItem('livebuy.profile', JSON.stringify({name: 'Ada', card: {
  card_number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvc: '123'}}))"""


async def _viewer(new_page: Callable[..., Awaitable[Page]], server: LiveServer) -> Page:
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await page.evaluate(PROFILE)
    await expect(page.locator("#connection")).to_have_text("LIVE")
    return page


async def test_a_sold_out_deal_and_a_dead_network_are_said_in_words(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Two viewers confirm the last unit of a deal; the second reads that the deal sold out (not
    its size, which has plenty). Offline, a buy says there is no connection, not the browser's
    "Failed to fetch"; back online, the same tap buys."""
    server = await web_server(video_enabled=False)
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    deal = {
        "kind": "deal_start",
        "deal_id": "last-one",
        "product_id": PRODUCT,
        "deal_price": {"amount": 9900, "currency": "EUR"},
        "units": 1,
    }
    await server.post_cue(SHOW, deal)
    first, second = await _viewer(new_page, server), await _viewer(new_page, server)
    sheets = []
    for page in (first, second):
        card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
        await expect(card.locator(".units-left")).to_have_text("Flash deal: 1 left")
        await card.get_by_role("button", name="Buy now").click()
        sheets.append(page.get_by_role("dialog"))
        await expect(sheets[-1]).to_contain_text("flash deal")
    await sheets[0].get_by_role("button", name="Pay").click()
    await expect(first.locator("#toasts")).to_contain_text("Order placed")
    await sheets[1].get_by_role("button", name="Pay").click()
    await expect(second.locator("#toasts")).to_contain_text(
        "Could not buy: the flash deal just sold out."
    )

    await server.post_cue(SHOW, {"kind": "deal_end", "deal_id": "last-one"})
    card = second.locator(f'.card[data-product-id="{PRODUCT}"]')
    await expect(card.locator(".units-left")).to_be_empty()
    await second.context.set_offline(True)
    await card.get_by_role("button", name="Buy now").click()
    await second.get_by_role("dialog").get_by_role("button", name="Pay").click()
    await expect(second.locator("#toasts")).to_contain_text(
        "Could not buy: No connection: check your network and try again."
    )
    await expect(second.locator("#toasts")).not_to_contain_text("fetch")
    await second.context.set_offline(False)
    await card.get_by_role("button", name="Buy now").click()
    await second.get_by_role("dialog").get_by_role("button", name="Pay").click()
    await expect(second.locator("#toasts")).to_contain_text("Order placed")
    token = await second.evaluate("JSON.parse(localStorage.getItem('livebuy.session')).token")
    async with server.http() as client:
        orders = (
            await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        ).json()["items"]
    assert [order["status"] for order in orders] == ["paid"]
