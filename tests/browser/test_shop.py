"""Buying from the viewer page in Chromium: guest profile, one-tap buy, live stock, bag."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import LiveServer

SHOW = "spring-runway"
PRODUCT = "aurelle-silk-slip-dress"


async def test_one_tap_buy_creates_an_order_and_units_left_drop(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """First Buy now saves a guest profile; each buy is a paid order; the size's stock drops."""
    server = await web_server(stock_push_interval_ms=20)
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
    size = card.get_by_label("Size / colour")
    sku = await size.input_value()
    async with server.http() as client:
        before = (await client.get(f"/api/inventory/{sku}")).json()["available"]
    await expect(size.locator("option:checked")).to_contain_text(f"{before} left")

    await card.get_by_role("button", name="Buy now").click()
    sheet = page.get_by_role("dialog")
    await sheet.get_by_label("Name").fill("Ada")
    await sheet.get_by_role("button", name="Save").click()
    await expect(sheet).to_contain_text("•••• 4242")
    await sheet.get_by_role("button", name="Pay").click()
    await expect(size.locator("option:checked")).to_contain_text(f"{before - 1} left")

    # The profile is saved: the next buy is one tap and a confirmation.
    await card.get_by_role("button", name="Buy now").click()
    await page.get_by_role("dialog").get_by_role("button", name="Pay").click()
    await expect(size.locator("option:checked")).to_contain_text(f"{before - 2} left")

    token = await page.evaluate("JSON.parse(localStorage.getItem('livebuy.session')).token")
    async with server.http() as client:
        orders = (
            await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        ).json()["items"]
        after = (await client.get(f"/api/inventory/{sku}")).json()
    assert [order["status"] for order in orders] == ["paid", "paid"]
    assert [order["lines"][0]["sku"] for order in orders] == [sku, sku]
    assert after["available"] == before - 2 and after["sold"] == 2


async def test_cart_checkout_and_cancel_from_the_bag(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Add to cart, check out from the bag, then cancel the order: stock comes back."""
    server = await web_server(stock_push_interval_ms=20)
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
    sku = await card.get_by_label("Size / colour").input_value()
    async with server.http() as client:
        before = (await client.get(f"/api/inventory/{sku}")).json()["available"]

    await card.get_by_role("button", name="Add to cart").click()
    await expect(page.locator("#bag-count")).to_have_text("1")
    await page.get_by_role("button", name="Cart and orders").click()
    sheet = page.get_by_role("dialog")
    await expect(sheet).to_contain_text("1 ×")
    await sheet.get_by_role("button", name="Checkout").click()
    await sheet.get_by_label("Name").fill("Grace")
    await sheet.get_by_role("button", name="Save").click()
    await expect(page.locator("#bag-count")).to_have_text("0")

    await page.get_by_role("button", name="Cart and orders").click()
    await expect(sheet.locator(".order")).to_contain_text("paid")
    await sheet.get_by_role("button", name="Cancel").click()
    # Cancelling asks first: "Keep order" changes nothing, "Cancel order" cancels.
    await expect(sheet).to_contain_text("Cancel this order?")
    await sheet.get_by_role("button", name="Keep order").click()
    await expect(sheet.locator(".order")).to_contain_text("paid")
    await sheet.get_by_role("button", name="Cancel", exact=True).click()
    await sheet.get_by_role("button", name="Cancel order").click()
    await expect(sheet.locator(".order")).to_contain_text("cancelled")
    async with server.http() as client:
        after = (await client.get(f"/api/inventory/{sku}")).json()
    assert after["available"] == before


async def test_favorite_is_saved_and_shown_again_after_reload(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The heart saves a favorite for the viewer's session; a reload shows it pressed."""
    server = await web_server()
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    heart = page.locator(f'.card[data-product-id="{PRODUCT}"] .favorite')
    await expect(heart).to_have_attribute("aria-pressed", "false")
    await heart.click()
    # The filled heart is drawn once the server has saved the favorite.
    await expect(heart).to_have_text("♥")
    await expect(heart).to_have_attribute("aria-pressed", "true")
    token = await page.evaluate("JSON.parse(localStorage.getItem('livebuy.session')).token")
    async with server.http() as client:
        favorites = await client.get("/api/favorites", headers={"Authorization": f"Bearer {token}"})
    assert favorites.json()["product_ids"] == [PRODUCT]
    await page.reload()
    await expect(heart).to_have_attribute("aria-pressed", "true")


async def test_sold_out_sizes_and_products_cannot_be_bought(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A sold-out size stays chosen, says so and disables buying; a sold-out product says "Sold out"."""
    server = await web_server(stock_push_interval_ms=20)
    product = "sable-coast-leather-biker"  # sizes S and M, 5 units each
    await server.post_cue(SHOW, {"kind": "pin", "product_id": product})
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    card = page.locator(f'.card[data-product-id="{product}"]')
    size = card.get_by_label("Size / colour")
    buy = card.get_by_role("button", name="Buy now")
    await expect(buy).to_be_enabled()
    chosen = await size.input_value()
    async with server.http() as client:
        token = (await client.post("/api/sessions")).json()["token"]
        for sku in [chosen, "SBC-BIKR-M"]:
            taken = await client.post(
                "/api/orders",
                json={"sku": sku, "quantity": 5},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"all-{sku}"},
            )
            assert taken.status_code == 201, taken.text
            if sku == chosen:
                await expect(size.locator("option:checked")).to_contain_text("sold out")
                assert await size.input_value() == chosen
                await expect(buy).to_be_disabled()
                await expect(buy).to_have_text("Sold out")
                await expect(card.locator(".stock-note")).to_contain_text("just sold out")
    await expect(card.locator(".sold-out")).to_have_text("Sold out")
    await expect(card.get_by_role("button", name="Add to cart")).to_be_disabled()
    await expect(buy).to_be_disabled()
    await save_screenshot(page, "viewer-sold-out.png")


async def test_declined_payment_is_retried_on_the_same_order_with_another_card(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A declined and a timed-out card say so in words; the next card pays the same, single order."""
    server = await web_server()
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
    await card.get_by_role("button", name="Buy now").click()
    sheet = page.get_by_role("dialog")
    await sheet.get_by_label("Name").fill("Ada")
    await sheet.get_by_label("Card").fill("4000 0000 0000 0002")
    await sheet.get_by_role("button", name="Save").click()
    await sheet.get_by_role("button", name="Pay").click()
    await expect(sheet).to_contain_text("declined")
    await sheet.get_by_label("Card").fill("4000000000000119")
    await sheet.get_by_role("button", name="Pay").click()
    await expect(sheet).to_contain_text("did not answer")
    await save_screenshot(page, "viewer-payment-retry.png")
    await sheet.get_by_label("Card").fill("4242424242424242")
    await sheet.get_by_role("button", name="Pay").click()
    await expect(page.locator("#toasts")).to_contain_text("Order placed")

    token = await page.evaluate("JSON.parse(localStorage.getItem('livebuy.session')).token")
    async with server.http() as client:
        orders = (
            await client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        ).json()["items"]
    assert [order["status"] for order in orders] == ["paid"]
    saved = await page.evaluate("JSON.parse(localStorage.getItem('livebuy.profile')).card")
    assert saved["card_number"] == "4242424242424242"


async def test_the_saved_card_can_be_changed_and_removed(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The bag shows the saved card; it can be changed to another number, or forgotten."""
    server = await web_server()
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await page.evaluate(
        """localStorage.setItem('livebuy.profile', JSON.stringify({name: 'Ada', card: {
          card_number: '4000000000000002', expiry_month: 12, expiry_year: 2030, cvc: '123'}}))"""
    )
    await page.get_by_role("button", name="Cart and orders").click()
    sheet = page.get_by_role("dialog")
    await expect(sheet).to_contain_text("•••• 0002")
    await sheet.get_by_role("button", name="Change card").click()
    await sheet.get_by_label("Card").fill("5555 5555 5555 4444")
    await sheet.get_by_role("button", name="Save").click()
    stored = "JSON.parse(localStorage.getItem('livebuy.profile'))"
    await page.wait_for_function(f"{stored}.card.card_number === '5555555555554444'")
    await page.get_by_role("button", name="Cart and orders").click()
    await expect(sheet).to_contain_text("•••• 4444")
    await sheet.get_by_role("button", name="Remove card").click()
    await page.wait_for_function("localStorage.getItem('livebuy.profile') === null")
