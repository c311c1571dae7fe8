"""The viewer page in Chromium: cards on the video's program clock, snapshot, resume, safe text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import LiveServer

SHOW = "spring-runway"
PRODUCT = "aurelle-silk-slip-dress"

# Records the player's program time at the moment the product's card enters the page.
RECORD_CARD_ENTRY = """productId => {
  window.cardEntry = null;
  new MutationObserver(() => {
    if (window.cardEntry === null && document.querySelector(`[data-product-id="${productId}"]`)) {
      window.cardEntry = livebuy.programTime();
    }
  }).observe(document.getElementById("cards"), {childList: true, subtree: true});
}"""


async def open_viewer(page: Page, server: LiveServer) -> None:
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await page.wait_for_function("livebuy.state.lastSeq !== null")


async def test_card_appears_when_video_program_time_reaches_cue_at(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The card waits for the video: hidden when the cue arrives, shown once the video reaches
    `at` (within 300 ms of it on a quiet machine; bounded at 1 s so a loaded CI machine, whose
    browser timers fire late, does not fail a behaviour that held)."""
    server = await web_server(video_enabled=True)
    page = await new_page(device_scale_factor=2)
    await open_viewer(page, server)
    await page.wait_for_function(
        "livebuy.state.video.mode === 'hls' && livebuy.programTime() !== null"
    )
    await page.evaluate(RECORD_CARD_ENTRY, PRODUCT)

    published = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    await page.wait_for_function("seq => livebuy.state.lastSeq >= seq", arg=published["seq"])
    program_at_arrival, cards_at_arrival = await page.evaluate(
        "[livebuy.programTime(), document.querySelectorAll('#cards .card').length]"
    )
    assert program_at_arrival < published["at"], "the video should lag the live cue"
    assert cards_at_arrival == 0

    await page.wait_for_function("window.cardEntry !== null")
    entry = await page.evaluate("window.cardEntry")
    print(f"card entered {entry - published['at']} ms of program time after its at")
    assert published["at"] <= entry <= published["at"] + 1000
    card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
    async with server.http() as client:
        name = (await client.get(f"/api/catalog/products/{PRODUCT}")).json()["name"]
    await expect(card.get_by_role("heading")).to_have_text(name)
    await page.wait_for_function(
        "document.querySelector('.card .details img').complete"
        " && document.getElementById('video').readyState >= 2"
    )
    await save_screenshot(page, "viewer.png")


async def test_late_joiner_sees_current_pin_at_once(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A viewer who joins after the pin gets the card from the snapshot, and a note on no video."""
    server = await web_server()
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page()
    await open_viewer(page, server)
    await expect(page.locator(f'.card[data-product-id="{PRODUCT}"]')).to_be_visible()
    await expect(page.locator("#video-note")).to_contain_text("live video is off")
    assert await page.evaluate("livebuy.revealed.length") == 0


async def test_reconnect_after_drop_misses_no_cue(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Cues published while the socket is down arrive once each, in order, after it resumes."""
    server = await web_server()
    page = await new_page()
    await open_viewer(page, server)
    await page.evaluate("livebuy.disconnect()")
    await page.wait_for_function("livebuy.state.socket === null")

    cues: list[tuple[str, dict[str, Any]]] = [
        ("drop-hello", {"kind": "announce", "text": "while you were away"}),
        ("drop-pin", {"kind": "pin", "product_id": PRODUCT}),
        ("drop-unpin", {"kind": "unpin", "product_id": PRODUCT}),
        ("drop-pin-again", {"kind": "pin", "product_id": "lunaire-aviator"}),
    ]
    for cue_id, cue in cues:
        await server.post_cue(SHOW, cue, cue_id)
    await page.evaluate("livebuy.connect()")

    ids = [cue_id for cue_id, _ in cues]
    await page.wait_for_function("n => livebuy.revealed.length >= n", arg=len(ids))
    assert await page.evaluate("livebuy.revealed.map(r => r.cue_id)") == ids
    assert "since=" in await page.evaluate("livebuy.state.socketUrl")
    await expect(page.locator(".card")).to_have_count(1)
    await expect(page.locator('.card[data-product-id="lunaire-aviator"]')).to_be_visible()
    await expect(page.locator("#announcement")).to_have_text("while you were away")


async def test_announcement_text_is_never_html(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Markup in an announcement is shown as text and creates no element."""
    server = await web_server()
    page = await new_page()
    await open_viewer(page, server)
    text = '<img src="x" onerror="window.injected = true"><b>bold</b>'
    await server.post_cue(SHOW, {"kind": "announce", "text": text})
    await expect(page.locator("#announcement")).to_have_text(text)
    assert await page.evaluate("document.querySelectorAll('#announcement *').length") == 0
    assert await page.evaluate("window.injected === undefined")
