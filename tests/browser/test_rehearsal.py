"""The console's rehearsal speed control in Chromium: 2x, pause and resume move the play head."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.test_console import DESKTOP, sign_in
from tests.servers import PRODUCER_TOKEN, LiveServer

SHOW = "spring-runway"
# The page redraws the play head every 250 ms; a redraw late on a busy machine lags a little more.
LAG_MS = 1_500
AHEAD_MS = 300


async def head(page: Page) -> tuple[int, int]:
    """The play head's sheet position as the page shows it, and the page's clock then."""
    position, now = await page.evaluate(
        "() => [Number(document.getElementById('play-head').dataset.positionMs), Date.now()]"
    )
    return int(position), int(now)


async def server_timeline(server: LiveServer) -> Any:
    async with server.http() as client:
        response = await client.get(f"/api/shows/{SHOW}/timeline")
    assert response.status_code == 200, response.text
    return response.json()


def assert_on_timeline(position: int, now: int, timeline: Any) -> None:
    """The page's head is where the server's timeline puts it (the page may lag one redraw)."""
    rate = 0 if timeline["paused"] else timeline["speed"]
    anchor = timeline["anchor"]
    expected = anchor["sheet_ms"] + (now - anchor["wall_ms"]) * rate
    assert expected - LAG_MS * max(rate, 1) <= position <= expected + AHEAD_MS, (
        position,
        expected,
        timeline,
    )


async def test_speed_buttons_drive_the_play_head(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Pressing 2x shows 2x and the head runs at 2x; Pause holds it; a late console sees it."""
    server = await web_server()
    console = await new_page(viewport=DESKTOP)
    await sign_in(console, server, PRODUCER_TOKEN)
    await expect(console.locator("#speed-now")).to_have_text("1×")

    speed = console.get_by_role("group", name="Rehearsal speed")
    await speed.get_by_role("button", name="2×", exact=True).click()
    await expect(console.locator("#speed-now")).to_have_text("2×")
    await expect(speed.get_by_role("button", name="2×", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    timeline = await server_timeline(server)
    assert timeline["speed"] == 2.0 and timeline["version"] == 1
    start = timeline["anchor"]["sheet_ms"]
    # Six sheet seconds later (three wall seconds at 2x) the head must still be on the timeline.
    await console.wait_for_function(
        f"() => Number(document.getElementById('play-head').dataset.positionMs) >= {start + 6000}"
    )
    assert_on_timeline(*await head(console), timeline)

    await speed.get_by_role("button", name="Pause", exact=True).click()
    await expect(console.locator("#speed-now")).to_have_text("paused (2×)")
    paused = await server_timeline(server)
    held = paused["anchor"]["sheet_ms"]
    assert paused["paused"] is True and paused["position_ms"] == held
    await console.wait_for_function(
        f"() => document.getElementById('play-head').dataset.positionMs === '{held}'"
    )
    # Stillness is watched over a second of the page's own redraws.
    _, paused_at = await head(console)
    await console.wait_for_function(f"() => Date.now() >= {paused_at + 1000}")
    position, now = await head(console)
    assert position == held and now >= paused_at + 1000

    late = await new_page(viewport=DESKTOP)
    await sign_in(late, server, PRODUCER_TOKEN)
    await expect(late.locator("#speed-now")).to_have_text("paused (2×)")
    await expect(late.get_by_role("button", name="Resume", exact=True)).to_be_visible()

    await speed.get_by_role("button", name="Resume", exact=True).click()
    await expect(console.locator("#speed-now")).to_have_text("2×")
    await expect(late.locator("#speed-now")).to_have_text("2×")
    resumed = await server_timeline(server)
    await console.wait_for_function(
        f"() => Number(document.getElementById('play-head').dataset.positionMs) > {held + 1000}"
    )
    assert_on_timeline(*await head(console), resumed)
