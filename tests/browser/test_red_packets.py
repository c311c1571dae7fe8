"""Red-packet rain and wallet on the phone layout: grab a packet, see it in the wallet sheet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.games.red_packets.helpers import SHOW, rain_cue
from tests.servers import LiveServer


async def test_grab_a_red_packet_and_see_it_in_the_wallet(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The rain falls over the video; a tap grabs once; the amount shows, then in the wallet."""
    server = await web_server()
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await expect(page.locator("#connection")).to_have_text("LIVE")
    await server.post_cue(SHOW, rain_cue("browser", count=1, budget=150, duration_ms=60_000))
    rain = page.get_by_role("region", name="Red-packet rain")
    await expect(rain).to_be_visible()
    # The packets never stop falling, so Playwright's wait for a still element would never end.
    await rain.locator(".rain-packet").first.dispatch_event("click")
    await expect(rain).to_contain_text("You got")
    await expect(rain).to_contain_text("1.50")
    await save_screenshot(page, "red-packets-grabbed.png")
    await page.get_by_role("button", name="Wallet").click()
    sheet = page.locator("#wallet-sheet")
    await expect(sheet).to_contain_text("1.50")
    await expect(sheet).to_contain_text("red packet")
    await expect(sheet.get_by_label("Use my credit at checkout")).to_be_checked()
