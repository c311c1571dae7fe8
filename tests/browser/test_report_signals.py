"""The report in Chromium: the viewer page feeds its funnel, the console links to its figures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, expect

from tests.analytics.test_report import report
from tests.browser.test_console import sign_in
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer

SHOW = "spring-runway"
PRODUCT = "stridewell-court-low"


async def test_revealed_card_and_opened_sheet_count_under_their_cue(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The card shown and its sheet opened (twice) count once each, under the pin's cue; the
    console's report link opens the live figures."""
    server = await web_server()
    pin = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
    for _ in range(2):
        await card.locator("button.details").click()
        sheet = page.get_by_role("dialog")
        await expect(sheet).to_be_visible()
        await page.keyboard.press("Escape")
        await expect(sheet).to_be_hidden()
    body: dict[str, Any] = {}
    try:
        async with server.http() as client, asyncio.timeout(TIMEOUT_S):
            while True:
                body = await report(client)
                row = next((cue for cue in body["cues"] if cue["key"] == pin["cue_id"]), None)
                if row is not None and (row["shown"], row["opened"]) == (1, 1):
                    break
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not counted: {body['funnel']} {body['cues']}") from None
    assert [step["sessions"] for step in body["funnel"][1:3]] == [1, 1]

    # The console's link opens the same figures, live.
    console = await new_page(viewport={"width": 1280, "height": 900})
    await sign_in(console, server, PRODUCER_TOKEN)
    async with console.context.expect_page() as opened:
        await console.get_by_role("button", name="Report figures (JSON)").click()
    tab = await opened.value
    await expect(tab.locator("body")).to_contain_text(f'"key":"{pin["cue_id"]}"')
    await expect(tab.locator("body")).to_contain_text('"show_id":"spring-runway"')
