"""The poll/quiz card on the phone layout (390×844): buttons, choice, live bars, quiet timer, result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.servers import LiveServer

SHOW = "spring-runway"
QUIZ = {
    "kind": "quiz",
    "poll_id": "fabric",
    "question": "What is the slip dress made of?",
    "options": ["silk", "linen", "wool"],
    "correct_option": 0,
    "time_limit_ms": 60_000,
    "prize": {"amount": 500, "currency": "EUR"},
}


async def test_quiz_card_votes_shows_live_bars_and_the_result(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """44 px options, the choice pressed, bars from results frames, a timer outside live regions, right."""
    server = await web_server(video_enabled=False, poll_answer_tolerance_ms=200)
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await page.wait_for_function("livebuy.state.lastSeq !== null")
    await server.post_cue(SHOW, QUIZ)

    card = page.locator('.poll-card[data-poll-id="fabric"]')
    await expect(card.get_by_role("heading")).to_have_text(str(QUIZ["question"]))
    options = card.locator(".poll-option")
    await expect(options).to_have_count(3)
    for index in range(3):
        box = await options.nth(index).bounding_box()
        assert box is not None and box["height"] >= 44
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    # The ticking timer is outside every polite region (its nearest live ancestor says "off").
    live = "n => n.closest('[aria-live]')?.getAttribute('aria-live') ?? 'off'"
    assert await card.locator(".poll-timer").evaluate(live) == "off"

    await options.nth(0).click()
    await expect(options.nth(0)).to_have_attribute("aria-pressed", "true")
    await expect(options.nth(1)).to_be_disabled()
    # Another viewer's vote: the bars come from the aggregated results frame.
    async with server.http() as client:
        other = (await client.post("/api/sessions")).json()
        voted = await client.post(
            f"/api/shows/{SHOW}/polls/fabric/votes",
            json={"option": 2, "program_ms": await page.evaluate("Date.now()")},
            headers={"Authorization": f"Bearer {other['token']}"},
        )
        assert voted.status_code == 201, voted.text
    await expect(card.locator(".poll-total")).to_have_text("2 answers")
    await expect(options.nth(0).locator(".poll-count")).to_have_text("50%")

    await server.post_cue(SHOW, {"kind": "poll_close", "poll_id": "fabric"})
    await expect(card.locator(".poll-outcome")).to_have_text("Right! You win €5.00.")
    await expect(options.nth(0)).to_have_class("poll-option correct")
    await expect(card.locator(".poll-timer")).to_have_text("closed")
    await save_screenshot(page, "poll-quiz-phone.png")
