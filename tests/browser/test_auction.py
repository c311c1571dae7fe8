"""The auction overlay on a phone: bid, get outbid, see the extension."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.servers import LiveServer

SHOW = "spring-runway"
CARD = {"card_number": "4242424242424242", "expiry_month": 12, "expiry_year": 2030, "cvc": "123"}


async def test_bid_outbid_and_extension_on_a_phone(
    web_server: Callable[..., Awaitable[LiveServer]], new_page: Callable[..., Awaitable[Page]]
) -> None:
    """At 390×844: a quick bid leads, a rival's higher bid shows "outbid", and "+60 s" shows."""
    server = await web_server()
    page = await new_page()
    await page.goto(f"{server.base_url}/shows/{SHOW}")
    await server.post_cue(
        SHOW,
        {
            "kind": "auction",
            "auction_id": "phone-lot",
            "sku": "VLM-SCRF-SKY",
            "start_price": {"amount": 1000, "currency": "EUR"},
            "ladder": [[0, 100]],
            "duration_ms": 60_000,
            "mode": "extend",
            "extend_ms": 60_000,
        },
    )
    panel = page.get_by_role("region", name="Live auction")
    await expect(panel).to_be_visible()
    await panel.get_by_role("button", name="Bid").first.click()
    status = panel.get_by_role("status")
    await expect(status).to_have_text("You're leading")
    await expect(panel).to_contain_text("you lead")
    await expect(panel.locator(".auction-extended")).to_have_text("+60 s")

    async with server.http() as client:
        rival = (await client.post("/api/sessions", json={"display_name": "Rival"})).json()
        auth = {"Authorization": f"Bearer {rival['token']}"}
        assert (await client.put("/api/payment-method", json=CARD, headers=auth)).status_code == 200
        bid = await client.post(
            f"/api/shows/{SHOW}/auctions/phone-lot/bids", json={"amount": 5000}, headers=auth
        )
        assert bid.json()["status"] == "leading", bid.text
    await expect(status).to_have_text("You've been outbid")
    await expect(panel).to_contain_text("Rival leads")
    await expect(panel.get_by_role("button", name="Bid").first).to_contain_text("51.00")
    box = await panel.bounding_box()
    assert box is not None and box["width"] <= 390
