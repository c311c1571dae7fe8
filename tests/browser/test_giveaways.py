"""The viewer's giveaway card on the phone layout: enter, entered state, result, verify link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import PHONE, save_screenshot
from tests.servers import PRODUCER_TOKEN, LiveServer

SHOW = "spring-runway"


async def test_giveaway_card_enter_win_and_verify(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """At 390×844 a viewer enters, sees the entered state and a countdown outside any live
    region, then the win with its coupon code, the winners and a link to the proof."""
    server = await web_server(giveaway_tick_ms=100)
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await expect(page.locator("#connection")).to_have_text("LIVE")
    cue = {
        "kind": "giveaway",
        "giveaway_id": "phone",
        "title": "A coupon for you",
        "prize": {"kind": "coupon", "coupon_kind": "percent", "value": 15},
        "winners": 1,
        "duration_ms": 600_000,
    }
    await server.post_cue(SHOW, cue)
    card = page.locator('.giveaway[data-giveaway-id="phone"]')
    await expect(card.locator(".giveaway-meta")).to_contain_text("left")
    # The ticking time left is outside every polite region (its nearest live ancestor says "off").
    live = "n => n.closest('[aria-live]')?.getAttribute('aria-live') ?? 'off'"
    assert await card.locator(".giveaway-meta").evaluate(live) == "off"
    box = await card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    await card.get_by_role("button", name="Enter").click()
    await expect(card.locator(".giveaway-enter")).to_have_text("Entered ✓")
    await expect(card.locator(".giveaway-enter")).to_be_disabled()
    async with server.http() as client:
        closed = await client.post(
            f"/api/shows/{SHOW}/giveaways/phone/close",
            headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
        )
    assert closed.status_code == 200, closed.text
    await expect(card.locator(".giveaway-result")).to_contain_text("You won! Your code: WIN-")
    await expect(card.locator(".giveaway-winners li")).to_have_count(1)
    verify = card.get_by_role("link", name="Verify the draw")
    assert await verify.get_attribute("href") == f"/api/shows/{SHOW}/giveaways/phone"
    await expect(page.locator("#giveaway-status")).to_have_text("You won the giveaway!")
    await save_screenshot(page, "giveaway-phone.png")
