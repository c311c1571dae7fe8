"""The replay page in Chromium: a deep link shows that moment's cards, a seek shows another's,
and Buy pays the regular price."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer

SHOW = "spring-runway"
# The page's own play() is held back: the video stays where the test put it, so what the page
# shows is the state of that one moment (playing on is the same code as after any seek).
HOLD_PLAYBACK = "HTMLMediaElement.prototype.play = function () { return Promise.resolve(); };"


async def _recorded_run(server: LiveServer) -> dict[str, Any]:
    """Pause the show once run 1 recorded its third look, then wait for 4 s of video past it.

    Paused, the run goes on recording video (the play head stays in run 1): a player starting
    this still-recording playlist at its live edge would be far from the moments the test opens.
    """
    async with server.http() as client:
        async with asyncio.timeout(TIMEOUT_S * 2):
            while True:
                cues = await _cues(client)
                if "look3" in cues:
                    break
                await asyncio.sleep(0.05)
            await client.put(
                f"/api/shows/{SHOW}/timeline",
                json={"paused": True},
                headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
            )
            while True:
                playlist = await client.get(f"/video/{SHOW}/replay/1/index.m3u8")
                dates = re.findall(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", playlist.text)
                last = datetime.fromisoformat(dates[-1]).timestamp() * 1000 if dates else 0
                if last > cues["look3"]["at"] + 4000:
                    break
                await asyncio.sleep(0.1)
        return await _cues(client)


async def _cues(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(f"/api/shows/{SHOW}/replay/1/timeline")
    if response.status_code != 200:
        return {}
    entries = response.json()["entries"]
    return {e["data"]["cue_id"]: e for e in entries if e["type"] == "cue"}


async def _pinned_at(server: LiveServer, at: int) -> list[str]:
    """Product ids pinned at ``at`` of run 1, newest first (the page's order)."""
    async with server.http() as client:
        state = (await client.get(f"/api/shows/{SHOW}/replay/1/state", params={"at": at})).json()
    return [pin["product_id"] for pin in reversed(state["pinned"])]


async def _cards(page: Page) -> list[str]:
    ids: list[str] = await page.eval_on_selector_all(
        "#cards .card", "cards => cards.map(card => card.dataset.productId)"
    )
    return ids


async def test_deep_link_seek_and_buy_at_regular_price(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """`?t=` shows that moment's cards, "watch that moment" seeks the video and the cards, and
    Buy pays the regular price (no deal), on a phone."""
    server = await web_server(
        play_shows=True, speed=120.0, video_enabled=True, replay_interval_ms=100
    )
    cues = await _recorded_run(server)
    moment = cues["look2-jeans"]["at"] + 1
    expected = await _pinned_at(server, moment)
    assert expected == ["indigo-foundry-straight-jean", "nordhaven-cropped-trench"]

    page = await new_page()
    await page.add_init_script(HOLD_PLAYBACK)
    await page.goto(f"{server.base_url}/replay/{SHOW}?run=1&t={moment}")
    await page.wait_for_function(
        "livebuyReplay.state.seeks >= 1 && livebuyReplay.state.pendingSeek === null"
    )
    assert await page.evaluate("livebuyReplay.state.video.mode") == "hls"
    assert await _cards(page) == expected
    before = await page.evaluate("document.getElementById('video').currentTime")

    # The list of products shown offers each one's moment; jumping there seeks video and cards.
    link = page.locator('#shown a[data-product-id="velmora-boucle-blazer"]')
    await expect(link).to_have_attribute("href", f"/replay/{SHOW}?run=1&t={cues['look3']['at']}")
    await link.click()
    await page.wait_for_function(
        "livebuyReplay.state.seeks >= 2 && livebuyReplay.state.pendingSeek === null"
    )
    assert await _cards(page) == await _pinned_at(server, cues["look3"]["at"])
    assert await _cards(page) == ["velmora-boucle-blazer"]
    after = await page.evaluate("document.getElementById('video').currentTime")
    assert after > before
    assert page.url.endswith(f"t={cues['look3']['at']}")

    card = page.locator('#cards .card[data-product-id="velmora-boucle-blazer"]')
    async with server.http() as client:
        product = (await client.get("/api/catalog/products/velmora-boucle-blazer")).json()
    sku = await card.locator("select").input_value()
    variant = next(v for v in product["variants"] if v["sku"] == sku)
    regular = variant["price"] or product["price"]
    await card.get_by_role("button", name="Buy").click()
    await page.wait_for_function("livebuyReplay.state.orders.length === 1")
    order = await page.evaluate("livebuyReplay.state.orders[0]")
    assert order["status"] == "paid"
    assert order["total"] == regular
    assert [line.get("deal_id") for line in order["lines"]] == [None]
    await expect(page.locator(".toast")).to_contain_text("Bought")
    await page.wait_for_function(
        "[...document.querySelectorAll('#cards img')].every(img => img.complete)"
        " && document.getElementById('video').readyState >= 2"
    )
    await page.evaluate("window.scrollTo(0, 0)")
    await save_screenshot(page, "replay.png")
