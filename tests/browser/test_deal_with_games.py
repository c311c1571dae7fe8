"""A flash deal while a game is open, on a phone (390×844): the game covers neither the deal's
banner nor the reactions, and the deal card keeps the product's name whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import LiveServer

SHOW = "spring-runway"
# No A/B test on its card in the demo show (the other layout has no brand line at all).
PRODUCT = "sable-coast-leather-biker"
POLL = {
    "kind": "poll",
    "poll_id": "deal-poll",
    "question": "Which colour should we show next?",
    "options": ["Sky blue", "Sand", "Forest green", "Coral"],
    "duration_ms": 120_000,
}
GIVEAWAY = {
    "kind": "giveaway",
    "giveaway_id": "deal-giveaway",
    "title": "A 15% coupon for five of you",
    "prize": {"kind": "coupon", "coupon_kind": "percent", "value": 15},
    "winners": 5,
    "duration_ms": 600_000,
}
# True when the element on top at the centre of ``selector``'s box is inside it.
ON_TOP = """selector => {
  const node = document.querySelector(selector);
  const r = node.getBoundingClientRect();
  const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  return top !== null && node.contains(top);
}"""
# The name's box against the line it needs: a squeezed heading is cut through its letters.
NAME_WHOLE = """selector => {
  const name = document.querySelector(selector);
  return name.getBoundingClientRect().height >= parseFloat(getComputedStyle(name).lineHeight) - 0.5;
}"""


async def test_games_leave_the_deal_banner_and_the_name_readable(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """With a poll and a giveaway open, a deal's banner and every reaction button are on top
    where they are; the deal card shows the whole product name (the brand line gives way)."""
    server = await web_server(video_enabled=False)
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await expect(page.locator("#connection")).to_have_text("LIVE")
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    for game in (POLL, GIVEAWAY):
        await server.post_cue(SHOW, game)
    await server.post_cue(
        SHOW,
        {
            "kind": "deal_start",
            "deal_id": "deal-games",
            "product_id": PRODUCT,
            "deal_price": {"amount": 9900, "currency": "EUR"},
            "units": 3,
        },
    )
    banner = '[data-deal-id="deal-games"]'
    card = f'.card[data-product-id="{PRODUCT}"]'
    await expect(page.locator(banner)).to_be_visible()
    await expect(page.locator(f"{card} .units-left")).to_have_text("Flash deal: 3 left")
    await expect(page.locator('.poll-card[data-poll-id="deal-poll"]')).to_be_visible()
    await expect(page.locator('.giveaway[data-giveaway-id="deal-giveaway"]')).to_be_visible()
    await save_screenshot(page, "deal-with-games.png")

    assert await page.evaluate(ON_TOP, banner), "a game covers the deal's banner"
    for kind in ("heart", "fire", "clap", "laugh", "wow"):
        assert await page.evaluate(ON_TOP, f'.reactions [data-kind="{kind}"]'), kind
    assert await page.evaluate(NAME_WHOLE, f"{card} h2"), "the product name is squeezed"
    await expect(page.locator(f"{card} .brand")).to_be_hidden()
    # A card without a deal keeps its brand line.
    await server.post_cue(SHOW, {"kind": "deal_end", "deal_id": "deal-games"})
    await expect(page.locator(f"{card} .units-left")).to_be_empty()
    await expect(page.locator(f"{card} .brand")).to_be_visible()
    assert await page.evaluate(NAME_WHOLE, f"{card} h2")
