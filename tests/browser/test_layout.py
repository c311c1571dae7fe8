"""The viewer page's layout at a phone, a landscape phone and a desktop size; accessibility; weight."""

from __future__ import annotations

import ast
import gzip
import re
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.test_console import sign_in
from tests.servers import PRODUCER_TOKEN, LiveServer

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "livebuy" / "web" / "static"
IMG = ROOT / "docs" / "img"
AXE = STATIC / "vendor" / "axe.min.js"
SHOW = "spring-runway"
LOW = "sable-coast-leather-biker"  # 10 units in all: "Only 10 left"
PRODUCTS = [LOW, "aurelle-silk-slip-dress", "lunaire-aviator"]
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "landscape": {"width": 844, "height": 390},
    "desktop": {"width": 1366, "height": 768},
}
PAGE_BUDGET_BYTES = 200 * 1024

# The boxes the layout promises, read in one go.
GEOMETRY = """() => {
  const box = (node) => { const r = node.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; };
  const shown = (node) => node.getClientRects().length > 0 && getComputedStyle(node).visibility !== 'hidden';
  const byId = (id) => box(document.getElementById(id));
  return {
    viewport: {width: innerWidth, height: innerHeight},
    scroll: {width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight},
    video: byId('video'), stage: box(document.querySelector('.stage')), fit: getComputedStyle(document.getElementById('video')).objectFit,
    cards: byId('cards'), chat: byId('chat'), chatLog: byId('chat-log'), composer: byId('chat-form'),
    overlays: byId('overlays'), bag: byId('open-bag'),
    firstCard: box(document.querySelector('.card')),
    buys: [...document.querySelectorAll('.buy-now')].filter(shown).map(box),
    wide: [...document.querySelectorAll('.app *')].filter(shown).filter((node) => {
      const r = node.getBoundingClientRect(); return r.right > innerWidth + 1 && !node.closest('#cards');
    }).map((node) => node.id || node.className || node.tagName),
  };
}"""

# axe-core's serious and critical violations on the page as it is now, as "rule: target" lines.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .flatMap((v) => v.nodes.map((node) => `${v.impact} ${v.id}: ${node.target.join(' ')}`));
}"""

# Every control a keyboard user must reach: visible, enabled, not in an inert part of the page.
CONTROLS = """() => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex="0"]')]
  .filter((node) => node.getClientRects().length > 0 && !node.disabled && !node.closest('[inert]'))
  .filter((node) => getComputedStyle(node).visibility !== 'hidden')
  .map((node) => node.dataset.tabKey)"""


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def inside(box: dict[str, float], viewport: dict[str, float]) -> bool:
    return (
        box["left"] >= -1
        and box["top"] >= -1
        and box["right"] <= viewport["width"] + 1
        and box["bottom"] <= viewport["height"] + 1
    )


async def axe_violations(page: Page) -> list[str]:
    """Inject the vendored axe-core (never served to viewers by the page itself) and run it."""
    await page.add_script_tag(path=str(AXE))
    violations: list[str] = await page.evaluate(RUN_AXE)
    return violations


async def open_show(server: LiveServer, page: Page) -> None:
    for product in PRODUCTS:
        await server.post_cue(SHOW, {"kind": "pin", "product_id": product})
    await server.post_cue(
        SHOW,
        {"kind": "countdown", "countdown_id": "doors", "label": "Doors", "duration_ms": 600_000},
    )
    await server.post_cue(SHOW, {"kind": "announce", "text": "New drop at 8: the biker jacket."})
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await page.wait_for_function("livebuy.state.lastSeq !== null")
    await expect(page.locator(".card")).to_have_count(len(PRODUCTS))


async def say(page: Page, *messages: str) -> None:
    for text in messages:
        await page.get_by_label("Message").fill(text)
        await page.get_by_role("button", name="Send").click()
        await expect(page.locator("#chat-log li", has_text=text)).to_have_count(1)


def check_geometry(name: str, geometry: dict[str, Any]) -> None:
    viewport = geometry["viewport"]
    assert geometry["scroll"]["width"] <= viewport["width"], geometry["scroll"]
    assert geometry["scroll"]["height"] <= viewport["height"], geometry["scroll"]
    assert geometry["wide"] == [], f"wider than the screen: {geometry['wide']}"
    assert inside(geometry["firstCard"], viewport), geometry["firstCard"]
    assert inside(geometry["bag"], viewport), geometry["bag"]
    assert geometry["buys"], "no Buy now on screen"
    for buy in geometry["buys"]:
        assert not overlaps(buy, geometry["chatLog"]), (buy, geometry["chatLog"])
        assert not overlaps(buy, geometry["composer"]), (buy, geometry["composer"])
    video = geometry["video"]
    if name == "phone":
        assert geometry["fit"] == "cover"
        assert (video["left"], video["top"]) == (0, 0)
        assert (video["width"], video["height"]) == (viewport["width"], viewport["height"])
        assert overlaps(geometry["cards"], video), "the card row floats over the video"
    else:
        # Video centred between the products on the left and the chat panel on the right.
        assert geometry["fit"] == "contain"
        assert geometry["cards"]["right"] <= video["left"] + 1
        assert video["right"] <= geometry["chat"]["left"] + 1
        assert not overlaps(geometry["chat"], video)
        middle = (geometry["stage"]["left"] + geometry["stage"]["right"]) / 2
        assert abs((video["left"] + video["right"]) / 2 - middle) <= 1
    assert overlaps(geometry["overlays"], video), "#overlays lies over the video"


async def check_product_sheet(page: Page) -> None:
    """The card's picture opens a sheet with close-ups, sizes, quantity and Buy now; video plays on."""
    low = page.locator(f'.card[data-product-id="{LOW}"]')
    await low.get_by_role("button", name="Details and close-ups").click()
    sheet = page.get_by_role("dialog")
    await expect(sheet.get_by_role("group", name="Close-ups")).to_be_visible()
    await expect(sheet.get_by_label("Quantity")).to_have_value("1")
    await expect(sheet.get_by_role("radio")).to_have_count(2)
    await expect(sheet.get_by_role("button", name="Buy now from the sheet")).to_be_visible()
    await page.wait_for_function(
        "[...document.querySelectorAll('.closeups img')].every((img) => img.complete)"
    )
    assert await page.evaluate("!document.getElementById('video').paused")
    assert await axe_violations(page) == [], "product sheet"
    await page.screenshot(path=str(IMG / "viewer-product-sheet.png"))
    await sheet.get_by_role("button", name="Close").click()
    await expect(sheet).to_be_hidden()


async def check_keyboard(page: Page) -> None:
    """Tab reaches every visible control of the page."""
    await page.evaluate(
        "() => { let n = 0; for (const node of document.querySelectorAll('*')) node.dataset.tabKey = String(n++); }"
    )
    wanted: list[str] = await page.evaluate(CONTROLS)
    reached: list[str] = []
    for _ in range(len(wanted) + 5):
        await page.keyboard.press("Tab")
        key = await page.evaluate("document.activeElement?.dataset.tabKey ?? null")
        if key in reached:
            break
        if key is not None:
            reached.append(key)
    missing = await page.evaluate(
        """keys => keys.map((key) => document.querySelector(`[data-tab-key="${key}"]`))
          .map((node) => node.getAttribute('aria-label') || node.textContent.trim() || node.outerHTML.slice(0, 60))""",
        [key for key in wanted if key not in reached],
    )
    assert missing == [], f"not reachable with Tab: {missing}"


@pytest.mark.parametrize("name", list(VIEWPORTS))
async def test_layout_fits_the_screen(
    web_server: Callable[..., Awaitable[LiveServer]],
    new_page: Callable[..., Awaitable[Page]],
    name: str,
) -> None:
    """Video covers the phone / sits centred beside cards and chat; nothing overflows or covers Buy now.

    On the same page load: the phone's product sheet keeps the video playing and passes axe; the
    desktop page and the console pass axe and Tab reaches every control.
    """
    server = await web_server(video_enabled=True)
    page = await new_page(viewport=VIEWPORTS[name])
    await open_show(server, page)
    await page.wait_for_function(
        "livebuy.state.video.mode === 'hls' && document.getElementById('video').readyState >= 2"
    )
    await say(page, "Love that jacket!", "Does the aviator come in gold?", "W" * 120)
    await page.wait_for_function(
        "[...document.querySelectorAll('.card .details img')].every((img) => img.complete)"
    )
    check_geometry(name, await page.evaluate(GEOMETRY))
    IMG.mkdir(exist_ok=True)
    await page.screenshot(path=str(IMG / f"viewer-{name}.png"))
    if name == "phone":
        await check_product_sheet(page)
    if name == "desktop":
        assert await axe_violations(page) == [], "desktop viewer page"
        await check_keyboard(page)
        console = await new_page(viewport=VIEWPORTS["desktop"])
        await sign_in(console, server, PRODUCER_TOKEN)
        assert await axe_violations(console) == [], "console page"


async def test_viewer_shops_the_show_with_urgency_words_and_axe(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """Urgency and sales velocity on cards; toasts clear of typing; Shop the show and favourites; axe clean."""
    server = await web_server(stock_push_interval_ms=20)
    page = await new_page()
    await open_show(server, page)
    low = page.locator(f'.card[data-product-id="{LOW}"]')
    await expect(low.locator(".urgency")).to_have_text("Only 10 left")
    async with server.http() as client:
        sku = (await client.get(f"/api/catalog/products/{LOW}")).json()["variants"][0]["sku"]
        token = (await client.post("/api/sessions")).json()["token"]
        bought = await client.post(
            "/api/orders",
            json={"sku": sku, "quantity": 2},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "layout-1"},
        )
        assert bought.status_code == 201, bought.text
    await expect(low.locator(".urgency")).to_have_text("Only 8 left")
    await page.evaluate(
        "id => livebuy.receive({type: 'sales_velocity', data: {products: {[id]: 3}}})", LOW
    )
    await expect(low.locator(".velocity")).to_have_text("3 bought in the last minute")

    # Toasts never cover the field being typed in.
    await page.get_by_label("Message").focus()
    await page.evaluate("livebuyShop.toast('Something to say')")
    toast_box = await page.locator("#toasts").bounding_box()
    input_box = await page.get_by_label("Message").bounding_box()
    assert toast_box and input_box
    assert (
        toast_box["y"] + toast_box["height"] <= input_box["y"]
        or input_box["y"] + input_box["height"] <= toast_box["y"]
    )
    assert await axe_violations(page) == [], "phone viewer page"

    # Shop the show: every product shown, when it was on stage, a jump into the replay; favourites.
    pins = {
        pin["product_id"]: pin["at"]
        for pin in await page.evaluate(
            "[...livebuy.state.shown.values()].map(({product, at}) => ({product_id: product.id, at}))"
        )
    }
    assert set(pins) == set(PRODUCTS)
    await page.get_by_role("button", name="Shop the show").click()
    sheet = page.get_by_role("dialog")
    await expect(sheet.locator(".shown-item")).to_have_count(len(PRODUCTS))
    for product, at in pins.items():
        item = sheet.locator(f'.shown-item[data-product-id="{product}"]')
        await expect(item).to_have_attribute("data-at", str(at))
        await expect(item.get_by_role("link", name="Watch that moment")).to_have_attribute(
            "href", f"/replay/{SHOW}?t={at}"
        )
    heart = sheet.locator(f'.shown-item[data-product-id="{LOW}"] .favorite')
    await heart.click()
    await expect(heart).to_have_attribute("aria-pressed", "true")
    assert await axe_violations(page) == [], "shop the show"
    await page.screenshot(path=str(IMG / "viewer-shop-the-show.png"))
    await sheet.get_by_role("button", name="Close").click()
    await expect(low.locator(".favorite")).to_have_attribute("aria-pressed", "true")
    await page.get_by_role("button", name="Shop the show").click()
    await sheet.get_by_role("tab", name="Favourites").click()
    await expect(sheet.locator("#panel-favourites .shown-item")).to_have_count(1)
    await expect(sheet.get_by_role("tabpanel")).to_contain_text(
        await low.get_by_role("heading").inner_text()
    )


def _error_codes() -> set[str]:
    """Every code of livebuy/errors.py: the classes' `code = "..."` and the script refusals."""
    source = (ROOT / "livebuy" / "errors.py").read_text()
    codes = set(re.findall(r'^\s+code = "([a-z_]+)"', source, re.MULTILINE))
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {target.id for target in targets if isinstance(target, ast.Name)}
            if names & {"_ORDER_STATE_REFUSALS", "SCRIPT_REFUSALS"} and node.value is not None:
                codes |= {
                    child.value
                    for child in ast.walk(node.value)
                    if isinstance(child, ast.Constant) and isinstance(child.value, str)
                }
    return codes


def test_every_error_code_has_a_sentence_for_viewers() -> None:
    """words.js has a viewer sentence for every error code in livebuy/errors.py (and the HTTP edge's)."""
    table = (STATIC / "words.js").read_text()
    body = table[table.index("const SENTENCES = {") : table.index("};")]
    sentences = dict(re.findall(r'^\s+([a-z_]+): "([^"]+)",$', body, re.MULTILINE))
    codes = _error_codes()
    edge = (ROOT / "livebuy" / "api" / "errors.py").read_text()
    codes |= set(re.findall(r'\d{3}: "([a-z_]+)"', edge)) | {"http_error", "internal_error"}
    assert len(codes) > 30, codes
    assert sorted(codes - set(sentences)) == []
    assert all(not re.search(r"\b[a-z]+_[a-z_]+\b", sentence) for sentence in sentences.values())


class _Assets(HTMLParser):
    """The stylesheets and scripts a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("rel") == "stylesheet" and found.get("href"):
            self.urls.append(str(found["href"]))


async def test_viewer_page_weighs_at_most_200_kb_compressed(
    web_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """The viewer page's HTML, CSS and JS (hls.js included, no video) are ≤ 200 KB gzipped on the wire."""
    server = await web_server()
    sizes: dict[str, tuple[int, int]] = {}
    async with server.http() as client:
        page = await client.get(f"/shows/{SHOW}", headers={"Accept-Encoding": "gzip"})
        parser = _Assets()
        parser.feed(page.text)
        for url in [f"/shows/{SHOW}", *parser.urls]:
            async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
                assert response.status_code == 200, url
                body = b"".join([chunk async for chunk in response.aiter_raw()])
                # Files under the gzip middleware's 500-byte floor are sent as they are.
                zipped = response.headers.get("content-encoding") == "gzip"
                assert zipped or len(body) < 500, url
            sizes[url] = (len(body), len(gzip.decompress(body)) if zipped else len(body))
    assert "/static/vendor/axe.min.js" not in sizes
    total = sum(compressed for compressed, _ in sizes.values())
    for url, (compressed, raw) in sizes.items():
        print(f"{url}: {compressed / 1024:.1f} KB gzipped ({raw / 1024:.1f} KB raw)")
    print(
        f"viewer page total: {total / 1024:.1f} KB gzipped (budget {PAGE_BUDGET_BYTES // 1024} KB)"
    )
    assert total <= PAGE_BUDGET_BYTES
