"""Every gala game at once on a phone (390×844): the overlays stack without covering each
other, their text fits, and each game's buttons can be reached and tapped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.conftest import PHONE, save_screenshot
from tests.servers import LiveServer

SHOW = "spring-runway"
GAMES: list[dict[str, Any]] = [
    {
        "kind": "poll",
        "poll_id": "stack-poll",
        "question": "Which colour should we show next?",
        "options": ["Sky blue", "Sand", "Forest green"],
        "duration_ms": 120_000,
    },
    {
        "kind": "quiz",
        "poll_id": "stack-quiz",
        "question": "What is the slip dress made of?",
        "options": ["silk", "linen", "wool"],
        "correct_option": 0,
        "time_limit_ms": 60_000,
        "prize": {"amount": 500, "currency": "EUR"},
    },
    {
        "kind": "giveaway",
        "giveaway_id": "stack-giveaway",
        "title": "A 15% coupon for five of you",
        "prize": {"kind": "coupon", "coupon_kind": "percent", "value": 15},
        "winners": 5,
        "duration_ms": 600_000,
    },
    {
        "kind": "red_packets",
        "rain_id": "stack-rain",
        "budget": 1000,
        "currency": "EUR",
        "count": 5,
        "min_amount": 100,
        "max_amount": 300,
        "duration_ms": 60_000,
    },
    {
        "kind": "auction",
        "auction_id": "stack-lot",
        "sku": "VLM-SCRF-SKY",
        "start_price": {"amount": 1000, "currency": "EUR"},
        "ladder": [[0, 100]],
        "duration_ms": 120_000,
        "mode": "extend",
        "extend_ms": 10_000,
    },
]


# The cards re-render on every results frame: read every box in one script, not one by one.
BOXES = """selectors => selectors.map(s => {
  const r = document.querySelector(s).getBoundingClientRect();
  return {x: r.x, y: r.y, width: r.width, height: r.height};
})"""
CARDS = [
    '.poll-card[data-poll-id="stack-poll"]',
    '.poll-card[data-poll-id="stack-quiz"]',
    '.giveaway[data-giveaway-id="stack-giveaway"]',
    'section.auction[aria-label="Live auction"]',
]


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    width = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    height = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(0.0, width) * max(0.0, height)


async def test_every_game_at_once_on_a_phone(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """With a poll, a quiz, a giveaway, a rain and an auction open together: no two cards
    overlap, none is wider than the screen, each one's text fits, the product strip is not
    covered, a re-rendered card keeps its place, and a vote, an entry and a bid land under the
    rain (only its packets take taps)."""
    server = await web_server(video_enabled=False)
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await expect(page.locator("#connection")).to_have_text("LIVE")
    for cue in GAMES:
        await server.post_cue(SHOW, cue)
    cards = [page.locator(selector) for selector in CARDS]
    for card in cards:
        await expect(card).to_be_visible()
    await expect(page.get_by_role("region", name="Red-packet rain")).to_be_visible()
    await save_screenshot(page, "games-stacked.png")

    boxes: list[dict[str, float]] = await page.evaluate(BOXES, CARDS)
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    for index, box in enumerate(boxes):
        for other in boxes[index + 1 :]:
            assert _overlap(box, other) == 0, (box, other)
    # Text that does not fit overflows its box (scrollWidth > clientWidth).
    cut = "n => [n, ...n.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible').length"
    for card in cards:
        assert await card.evaluate(cut) == 0
    # The stack stays in its layer (it scrolls): the product strip below is not covered.
    (strip,) = await page.evaluate(BOXES, ["#cards"])
    on_strip = "([x, y]) => document.elementFromPoint(x, y)?.closest('#cards') !== null"
    centre = [strip["x"] + strip["width"] / 2, strip["y"] + strip["height"] / 2]
    assert await page.evaluate(on_strip, centre)

    await cards[0].locator(".poll-option").first.click()
    await expect(cards[0].locator(".poll-option").first).to_have_attribute("aria-pressed", "true")
    # A re-rendered card keeps its place in the stack (it does not jump from under the thumb).
    poll, quiz, giveaway, _ = await page.evaluate(BOXES, CARDS)
    assert poll["y"] < quiz["y"] < giveaway["y"]
    await cards[2].get_by_role("button", name="Enter").click()
    await expect(cards[2]).to_contain_text("entered")
    bid = cards[3].get_by_role("button", name="Bid").first
    await bid.click()
    await expect(cards[3].get_by_role("status")).not_to_be_empty()
    await save_screenshot(page, "games-played.png")
