"""Debian's Chromium driven by Playwright (no browser download), and a live server to point it at."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.servers import TIMEOUT_S, LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the whole session (scripts/bootstrap installs it with apt)."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test (it installs chromium and ffmpeg)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def new_page(browser: Browser) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """Factory: a page in its own context (phone viewport unless told); page errors fail the test."""
    contexts = []
    errors: list[str] = []

    async def open_page(**context_options: Any) -> Page:
        context = await browser.new_context(**{"viewport": PHONE, **context_options})
        context.set_default_timeout(TIMEOUT_S * 1000)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert errors == [], f"errors in the page: {errors}"


@pytest.fixture
async def web_server(
    make_server: Callable[..., Awaitable[LiveServer]], tmp_path: Path
) -> Callable[..., Awaitable[LiveServer]]:
    """Factory: a live server whose websocket accepts the page's own Origin."""

    async def start(**overrides: Any) -> LiveServer:
        server = await make_server(data_dir=tmp_path, **overrides)
        # The allowed Origin names the port, which is only known once the server picked it.
        server.settings.gateway.allowed_origins.append(server.base_url)
        return server

    return start


async def save_screenshot(page: Page, name: str) -> Path:
    """Save a screenshot under ``artifacts/`` (gitignored; CI keeps it as a test artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path))
    return path


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    """Playwright's assertions wait as long as every other wait in the suite."""
    expect.set_options(timeout=TIMEOUT_S * 1000)
