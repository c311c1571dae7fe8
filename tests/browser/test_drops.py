"""The fair-drop overlay on a phone: enter the draw, see it drawn, see the win."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import PRODUCER_TOKEN, LiveServer

SHOW = "spring-runway"


async def test_enter_the_draw_and_see_the_result_on_a_phone(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """At 390×844: the lottery deal's panel offers "Enter the draw" with its countdown; a tap
    enters; when the producer draws, the result (won, with a Pay button) shows at once."""
    server = await web_server()
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await server.post_cue(
        SHOW,
        {
            "kind": "deal_start",
            "deal_id": "phone-drop",
            "product_id": "velmora-silk-twill-scarf",
            "deal_price": {"amount": 1000, "currency": "EUR"},
            "units": 2,
            "mode": "lottery",
            "entry_window_ms": 120_000,
        },
    )
    panel = page.get_by_role("region", name="Fair drop: enter the draw")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".drop-clock")).to_have_text(re.compile(r"^\d+ s$"))
    assert await panel.locator(".drop-clock").get_attribute("aria-live") == "off"
    await panel.get_by_role("button", name="Enter the draw").click()
    status = panel.get_by_role("status")
    await expect(status).to_contain_text("You're in the draw")
    await expect(panel.get_by_role("button", name="Enter the draw")).to_be_hidden()
    async with server.http() as client:
        rival = (await client.post("/api/sessions")).json()
        path = f"/api/shows/{SHOW}/deals/phone-drop"
        auth = {"Authorization": f"Bearer {rival['token']}"}
        assert (await client.post(f"{path}/entries", headers=auth)).status_code == 201
        producer = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}
        assert (await client.post(f"{path}/draw", headers=producer)).status_code == 200
    # Two entries for two units: both win, so the page's result is known in advance.
    await expect(status).to_contain_text("You won!")
    await expect(panel.get_by_role("button", name="Pay now")).to_be_visible()
    await expect(panel.locator(".drop-clock")).to_have_text("drawn")
    box = await panel.bounding_box()
    assert box is not None and box["width"] <= 390
    await save_screenshot(page, "drops-won-phone.png")
