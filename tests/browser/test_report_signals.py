"""The report in Chromium: the viewer page feeds its funnel, the console links to its figures."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, expect

from livebuy.analytics.experiments import assign
from livebuy.shows.models import CardExperiment
from tests.analytics.test_report import report, report_until
from tests.browser.test_console import sign_in
from tests.commerce.helpers import session_tokens
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer

SHOW = "spring-runway"
PRODUCT = "stridewell-court-low"


async def test_revealed_card_and_opened_sheet_count_under_their_cue(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The card shown and its sheet opened (twice) count once each, under the pin's cue, and
    the first-time viewer is exposed to the card's A/B test; the console's report link opens
    the live figures."""
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
                # A first-time viewer: the page started a session to draw the tested card as the
                # variant the server assigns it, then reported it seen.
                variants = body["experiments"][0]["variants"]
                exposed = [(v["exposures"], v["mismatched"]) for v in variants]
                if row is not None and (row["shown"], row["opened"]) == (1, 1):
                    if sorted(exposed) == [(0, 0), (1, 0)]:
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


async def test_tested_card_is_drawn_as_the_sessions_variant_and_exposed(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Two sessions in the two variants of the demo's card test get different cards, each the
    variant the server assigns, and each page's exposure counts under it (none mismatched)."""
    server = await web_server()
    async with server.http() as client:
        show = (await client.get(f"/api/shows/{SHOW}")).json()["show"]
    (experiment,) = [CardExperiment.model_validate(e) for e in show["experiments"]]
    chosen: dict[str, str] = {}
    while len(chosen) < len(experiment.variants):
        (token,) = await session_tokens(server, 1)
        chosen.setdefault(assign(experiment, token.partition(".")[0]).name, token)
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    widths: dict[str, float] = {}
    for variant in experiment.variants:
        page = await new_page()
        stored = json.dumps({"token": chosen[variant.name], "display_name": "Tester"})
        await page.add_init_script(f"localStorage.setItem('livebuy.session', {json.dumps(stored)})")
        await page.goto(f"{server.base_url}/shows/{SHOW}")
        card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
        await expect(card).to_have_attribute("data-variant", variant.name)
        compact = re.compile(r"\bcard-compact\b")
        if variant.layout == "compact":
            await expect(card).to_have_class(compact)
            await expect(card.locator(".brand")).to_be_hidden()
        else:
            await expect(card).not_to_have_class(compact)
            await expect(card.locator(".brand")).to_be_visible()
        widths[variant.name] = await card.locator("button.details").evaluate(
            "node => node.getBoundingClientRect().width"
        )
    full, compact_name = (variant.name for variant in experiment.variants)
    assert widths[full] > widths[compact_name], widths
    async with server.http() as client:
        body = await report_until(
            client,
            lambda body: [v["exposures"] for v in body["experiments"][0]["variants"]] == [1, 1],
        )
    assert [v["mismatched"] for v in body["experiments"][0]["variants"]] == [0, 0]
