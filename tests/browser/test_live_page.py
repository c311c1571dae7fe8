"""The viewer page holds up live: layout, deal clock, dead connections, screen readers, touch."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, WebSocket, expect

from tests.browser.conftest import save_screenshot
from tests.servers import PRODUCER_TOKEN, LiveServer

SHOW = "spring-runway"
PRODUCT = "sable-coast-leather-biker"
DESKTOP = {"width": 1366, "height": 900}
PRODUCTS = [
    "aurelle-silk-slip-dress",
    "nordhaven-cropped-trench",
    "lunaire-aviator",
    "stridewell-court-low",
]
# How far the page's deal clock may be from the server's (the same machine's clock here).
CLOCK_TOLERANCE_MS = 250

# Records every change of the deal's banner and card as [Date.now(), what]: the seconds shown,
# "gone" when the banner leaves, "price" when the card drops the deal price.
WATCH_DEAL = """dealId => {
  window.dealLog = [];
  const cards = document.getElementById("cards");
  let shown = "gone";
  let priced = false;
  const look = () => {
    const now = Date.now();
    const time = document.querySelector(`[data-deal-id="${dealId}"] time`);
    const text = time ? time.textContent : "gone";
    if (text !== shown) { shown = text; window.dealLog.push([now, text]); }
    const deal = cards.querySelector(".deal-price") !== null;
    if (priced && !deal) window.dealLog.push([now, "price"]);
    priced = deal;
  };
  new MutationObserver(look).observe(document.body, {childList: true, subtree: true, characterData: true});
  look();
}"""


async def open_viewer(page: Page, server: LiveServer, base_url: str | None = None) -> None:
    await page.goto(f"{base_url or server.base_url}/shows/{SHOW}")
    await page.wait_for_function("livebuy.state.lastSeq !== null")


async def test_a_long_chat_message_never_changes_the_layout(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """A 300-character message without spaces wraps in the chat; video and cards keep their width."""
    server = await web_server()
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page(viewport=DESKTOP)
    await open_viewer(page, server)
    measure = "['video', 'cards', 'chat'].map(id => document.getElementById(id).getBoundingClientRect().width)"
    before = await page.evaluate(measure)
    await page.get_by_label("Message").fill("W" * 300)
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#chat-log li")).to_have_count(1)
    assert await page.evaluate(measure) == before
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("speed", [1, 4])
async def test_deal_ends_on_the_server_clock_not_the_video(
    web_server: Callable[..., Awaitable[LiveServer]],
    new_page: Callable[..., Awaitable[Page]],
    speed: int,
) -> None:
    """Behind live video, the countdown, the banner and the deal price end at the server's `ends_at`."""
    server = await web_server(video_enabled=True)
    async with server.http() as client:
        changed = await client.put(
            f"/api/shows/{SHOW}/timeline",
            json={"speed": speed},
            headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
        )
        assert changed.status_code == 200, changed.text
    page = await new_page()
    deal_frames: list[dict[str, Any]] = []

    def on_socket(socket: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame["type"] == "cue" and frame["data"]["kind"] == "deal_start":
                deal_frames.append(frame["data"])

        socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    await open_viewer(page, server)
    await page.wait_for_function(
        "livebuy.state.video.mode === 'hls' && livebuy.programTime() !== null"
    )
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    await expect(page.locator(f'.card[data-product-id="{PRODUCT}"]')).to_be_visible()
    await page.evaluate(WATCH_DEAL, "clock")
    await server.post_cue(
        SHOW,
        {
            "kind": "deal_start",
            "deal_id": "clock",
            "product_id": PRODUCT,
            "deal_price": {"amount": 5900, "currency": "EUR"},
            "units": 5,
            "duration_ms": 9000 * speed,
        },
    )
    await expect(page.locator('[data-deal-id="clock"]')).to_be_visible()
    await page.wait_for_function(
        "window.dealLog.some(([, what]) => what === 'gone') && window.dealLog.some(([, what]) => what === 'price')"
    )
    ends_at = deal_frames[0]["ends_at"]
    log: list[tuple[int, str]] = await page.evaluate("window.dealLog")
    ticks = [(at, what) for at, what in log if ":" in what]
    # The first entry is the banner appearing (whenever the video reached the cue), not a tick.
    for at, shown in ticks[1:]:
        minutes, seconds = shown.split(":")
        due = ends_at - (int(minutes) * 60 + int(seconds)) * 1000
        assert abs(at - due) <= CLOCK_TOLERANCE_MS, (shown, at - due, log)
    assert len(ticks) >= 2, log
    for at, what in log:
        if what in ("gone", "price"):
            assert abs(at - ends_at) <= CLOCK_TOLERANCE_MS, (what, at - ends_at, log)
    ticked = [
        at - ends_at + int(m) * 60_000 + int(s) * 1000
        for at, w in ticks[1:]
        for m, s in [w.split(":")]
    ]
    ended = [at - ends_at for at, what in log if what in ("gone", "price")]
    print(f"deal clock at {speed}x: tick errors {ticked} ms, end errors {ended} ms")


async def test_the_card_drops_the_deal_price_when_the_deal_ends(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """At the deal's end (its `ends_at`, or a `deal_end` cue) the card shows the regular price again."""
    server = await web_server()
    await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
    page = await new_page()
    await open_viewer(page, server)
    card = page.locator(f'.card[data-product-id="{PRODUCT}"]')
    deal = {
        "kind": "deal_start",
        "product_id": PRODUCT,
        "deal_price": {"amount": 5900, "currency": "EUR"},
        "units": 5,
    }
    await server.post_cue(SHOW, {**deal, "deal_id": "short", "duration_ms": 3000})
    await expect(card.locator(".deal-price")).to_have_text("€59.00")
    await expect(card.locator(".deal-price")).to_have_count(0)
    await expect(card.locator(".price")).to_have_text("€449.00")

    await server.post_cue(SHOW, {**deal, "deal_id": "open"})
    await expect(card.locator(".deal-price")).to_have_text("€59.00")
    await server.post_cue(SHOW, {"kind": "deal_end", "deal_id": "open"})
    await expect(card.locator(".deal-price")).to_have_count(0)
    await expect(card.locator(".price")).to_have_text("€449.00")


async def test_countdown_is_announced_only_when_it_matters(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The ticking seconds are outside every live region; screen readers hear start and end only."""
    server = await web_server()
    page = await new_page()
    await open_viewer(page, server)
    await page.evaluate(
        """() => {
          window.spoken = [];
          new MutationObserver((records) => {
            for (const record of records) {
              const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
              const region = node && node.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"], [role="timer"]');
              if (region && region.id !== 'chat-log') window.spoken.push(region.textContent);
            }
          }).observe(document.body, {childList: true, subtree: true, characterData: true});
        }"""
    )
    await server.post_cue(
        SHOW,
        {"kind": "countdown", "countdown_id": "soon", "label": "Doors open", "duration_ms": 4000},
    )
    banner = page.locator('[data-countdown-id="soon"]')
    await expect(banner.locator("time")).to_have_text("0:03")
    await expect(banner.locator("time")).to_have_text("0:01")
    await expect(banner).to_have_count(0)
    live_times = await page.evaluate(
        """[...document.querySelectorAll('time')].filter(t => t.closest('[aria-live]:not([aria-live="off"])')).length"""
    )
    assert live_times == 0
    spoken = await page.evaluate("window.spoken")
    assert 1 <= len(set(spoken)) <= 3, spoken
    assert not any("0:0" in text for text in spoken), spoken


async def test_a_new_pin_scrolls_into_view_without_taking_focus(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """The fourth pinned card is scrolled into the card row; focus stays where it was."""
    server = await web_server()
    page = await new_page()
    await open_viewer(page, server)
    await page.get_by_label("Message").focus()
    for product in PRODUCTS:
        await server.post_cue(SHOW, {"kind": "pin", "product_id": product})
        await expect(page.locator(f'.card[data-product-id="{product}"]')).to_be_attached()
    await page.wait_for_function(
        """id => {
          const row = document.getElementById('cards').getBoundingClientRect();
          const card = document.querySelector(`.card[data-product-id="${id}"]`).getBoundingClientRect();
          return card.left >= row.left - 1 && card.right <= row.right + 1;
        }""",
        arg=PRODUCTS[-1],
    )
    assert await page.evaluate("document.activeElement.id") == "chat-text"


async def test_every_control_is_a_44px_target_and_buy_now_names_its_product(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """On the phone every button, input, select and link is at least 44×44 CSS px; Buy now names its product."""
    server = await web_server()
    for product in PRODUCTS[:3]:
        await server.post_cue(SHOW, {"kind": "pin", "product_id": product})
    await server.post_cue(
        SHOW, {"kind": "countdown", "countdown_id": "soon", "label": "Doors", "duration_ms": 60_000}
    )
    page = await new_page()
    await open_viewer(page, server)
    await expect(page.locator(".card")).to_have_count(3)
    # Chromium lays out in 1/64 px units: a 44 px box at a fractional position can measure
    # 43.98 (seen once in CI, "SELECT 218x44"), so the bound allows that rounding and no more.
    small = """() => [...document.querySelectorAll('button, input, select, a, [role="button"]')]
      .filter(node => node.getClientRects().length > 0)
      .map(node => [node.id || node.className || node.tagName, node.getBoundingClientRect()])
      .filter(([, box]) => box.width < 43.95 || box.height < 43.95)
      .map(([name, box]) => `${name} ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    assert await page.evaluate(small) == []
    async with server.http() as client:
        for product in PRODUCTS[:3]:
            name = (await client.get(f"/api/catalog/products/{product}")).json()["name"]
            await expect(
                page.get_by_role("button", name=f"Buy now: {name}", exact=True)
            ).to_have_count(1)
    await page.locator(".buy-now").first.click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    assert await page.evaluate(small) == []
    await save_screenshot(page, "viewer-profile-sheet.png")


class FreezableProxy:
    """A TCP proxy in front of the server that can stop passing bytes, as a dead network does."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        for pump in (self._pump(reader, upstream_writer), self._pump(upstream_reader, writer)):
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def freezable_proxy(server: LiveServer) -> AsyncIterator[FreezableProxy]:
    proxy = FreezableProxy(server.port)
    await proxy.start()
    server.settings.gateway.allowed_origins.append(f"http://127.0.0.1:{proxy.port}")
    try:
        yield proxy
    finally:
        await proxy.stop()


async def test_a_dead_connection_shows_reconnecting_and_resumes(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """With every byte held back the page says "reconnecting" within 10 s, then resumes with `since`."""
    server = await web_server()
    page = await new_page()
    async with freezable_proxy(server) as proxy:
        await open_viewer(page, server, f"http://127.0.0.1:{proxy.port}")
        await expect(page.locator("#connection")).to_have_text("LIVE")
        proxy.flowing.clear()
        frozen_at = asyncio.get_running_loop().time()
        await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT}, "while-dead")
        # 10 s without a frame, checked twice a second, plus a little for a busy machine.
        await expect(page.locator("#connection")).to_have_text("reconnecting…", timeout=12_000)
        noticed_s = asyncio.get_running_loop().time() - frozen_at
        assert await page.evaluate("livebuy.revealed.length") == 0
        proxy.flowing.set()
        resumed_at = asyncio.get_running_loop().time()
        await expect(page.locator("#connection")).to_have_text("LIVE")
        await expect(page.locator(f'.card[data-product-id="{PRODUCT}"]')).to_be_visible()
        assert await page.evaluate("livebuy.revealed.map(r => r.cue_id)") == ["while-dead"]
        assert "since=" in await page.evaluate("livebuy.state.socketUrl")
        resumed_s = asyncio.get_running_loop().time() - resumed_at
        print(f"dead link noticed after {noticed_s:.1f} s; resumed {resumed_s:.1f} s after")
