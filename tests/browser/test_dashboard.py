"""The console's live dashboard in Chromium: a viewer's buys show up in the sales table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import PRODUCER_TOKEN, LiveServer

SHOW = "spring-runway"
PRODUCT = "aurelle-silk-slip-dress"
DESKTOP = {"width": 1280, "height": 1100}


def euros(amount: int) -> str:
    """Minor units as the console formats euros (Chromium's default en-US locale)."""
    return f"€{amount / 100:,.2f}"


async def test_viewer_buys_show_in_the_dashboard_sales(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Buy now and a cart checkout on the viewer page: the console's row counts 2 units, 2 orders."""
    server = await web_server(viewer_report_interval_ms=200)
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    await server.post_cue(
        SHOW,
        {
            "kind": "deal_start",
            "deal_id": "flash",
            "product_id": "nordhaven-cropped-trench",
            "deal_price": {"amount": 9900, "currency": "EUR"},
            "units": 8,
            "per_customer_limit": 2,
        },
    )
    console = await new_page(viewport=DESKTOP)
    await console.goto(f"{server.base_url}/console")
    await console.get_by_label("Producer token").fill(PRODUCER_TOKEN)
    await console.get_by_role("button", name="Open console").click()
    await expect(console.locator("#login")).to_be_hidden()
    await expect(console.locator("#sales")).to_contain_text("No sales from this show yet.")
    await expect(console.locator("#deals-chart")).to_contain_text("8 of 8 left")

    viewer = await new_page()
    await viewer.goto(f"{server.base_url}/shows/{SHOW}")
    card = viewer.locator(f'.card[data-product-id="{PRODUCT}"]')
    await card.get_by_role("button", name="Buy now").click()
    sheet = viewer.get_by_role("dialog")
    await sheet.get_by_label("Name").fill("Ada")
    await sheet.get_by_role("button", name="Save").click()
    await sheet.get_by_role("button", name="Pay").click()
    await expect(viewer.locator("#toasts")).to_contain_text("placed")
    row = console.locator(f'#sales tr[data-product-id="{PRODUCT}"]')
    await expect(row.locator(".units")).to_have_text("1")

    await card.get_by_role("button", name="Add to cart").click()
    await expect(viewer.locator("#bag-count")).to_have_text("1")
    await viewer.get_by_role("button", name="Cart and orders").click()
    await sheet.get_by_role("button", name="Checkout").click()
    await expect(viewer.locator("#bag-count")).to_have_text("0")

    token = await viewer.evaluate("JSON.parse(localStorage.getItem('livebuy.session')).token")
    async with server.http() as client:
        orders = (
            await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        ).json()["items"]
    assert [order["status"] for order in orders] == ["paid", "paid"]
    assert {order["show_id"] for order in orders} == {SHOW}
    assert {order["total"]["currency"] for order in orders} == {"EUR"}
    revenue = sum(order["total"]["amount"] for order in orders)
    await expect(row.locator(".units")).to_have_text("2")
    await expect(row.locator(".revenue")).to_have_text(euros(revenue))
    await expect(row.locator("td").nth(2)).to_have_text("2")
    # The viewer page is the audience; the console watching the same show is not counted.
    await expect(console.locator("#stat-viewers")).to_have_text("1")
    await expect(console.locator("#viewers-chart")).to_have_attribute(
        "aria-label", "Viewers: 1 now, peak 1 in the last 30 minutes"
    )
    await save_screenshot(console, "console-dashboard.png")
