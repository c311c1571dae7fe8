"""Chat between two Chromium pages: own message at once, others' in the next batch, deletions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.servers import PRODUCER_TOKEN, LiveServer

SHOW = "spring-runway"


async def open_viewer(page: Page, server: LiveServer) -> None:
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await expect(page.locator("#connection")).to_have_text("LIVE")


async def test_chat_posted_in_one_browser_appears_in_another(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A message shows for its author at once and for another viewer; a deletion removes it."""
    server = await web_server()
    alice, bob = await new_page(), await new_page()
    await open_viewer(alice, server)
    await open_viewer(bob, server)

    text = "<b>that trench!</b>"
    await alice.get_by_label("Message").fill(text)
    await alice.get_by_role("button", name="Send").click()
    await expect(alice.locator("#chat-log .own")).to_contain_text(text)
    message = bob.locator("#chat-log li", has_text=text)
    await expect(message).to_be_visible()
    assert await bob.evaluate("document.querySelectorAll('#chat-log b').length") == 0

    message_id = await message.get_attribute("data-message-id")
    async with server.http() as client:
        response = await client.delete(
            f"/api/shows/{SHOW}/chat/messages/{message_id}",
            headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
        )
    assert response.status_code < 300, response.text
    await expect(message).to_have_count(0)
    await expect(alice.locator("#chat-log li", has_text=text)).to_have_count(0)


async def test_reaction_reaches_other_viewers_totals(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A tapped reaction is counted in the totals every viewer sees."""
    server = await web_server()
    alice, bob = await new_page(), await new_page()
    await open_viewer(alice, server)
    await open_viewer(bob, server)
    await alice.get_by_role("button", name="Fire").click()
    await expect(bob.locator("#reaction-totals")).to_contain_text("🔥 1")
