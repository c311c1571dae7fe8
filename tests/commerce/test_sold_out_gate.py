"""The sold-out gate: refuses in-process what is sold out, never sells what is not, clears on stock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from livebuy import metrics
from livebuy.commerce.sold_out import SoldOutGate
from livebuy.redis import keys
from tests.commerce.helpers import SHOW, assert_invariant, buy, session_tokens
from tests.servers import PRODUCER_TOKEN, LiveServer, receive_until

MakeServer = Callable[..., Awaitable[LiveServer]]
BIKER = "sable-coast-leather-biker"  # SBC-BIKR-S and SBC-BIKR-M, 5 units each
BIKER_S = "SBC-BIKR-S"


def gate_refusals() -> float:
    """Refusals the in-process servers' gates made so far (they share this process's registry)."""
    value: float = metrics.SOLD_OUT_GATE_REFUSALS._value.get()
    return value


async def stock_frame(ws: ClientConnection, sku: str, available: int) -> dict[str, Any]:
    """The first ``stock`` frame that says ``sku`` has ``available`` units."""
    while True:
        frame = await receive_until(ws, "stock")
        if {"sku": sku, "available": available} in frame["data"]["stock"]:
            return frame


async def test_gate_refuses_sold_out_sku_and_clears_on_restock(
    make_server: MakeServer, redis: Redis
) -> None:
    """Sold out: refused in-process with the script's body; a replay still gets its order; an
    expired session or a bad token is still 401; the restock's frame lets the next buy through."""
    # A gate that would hold for a minute: only the restock's frame can clear it in this test.
    # No session cache: every buy reads its session together with its Idempotency-Key's record.
    server = await make_server(
        sold_out_gate_ms=60_000, stock_push_interval_ms=20, session_cache_ms=0
    )
    plain = await make_server(sold_out_gate_ms=0, stock_push_interval_ms=20)
    first, second, gone = await session_tokens(server, 3)
    await server.post_cue(SHOW, {"kind": "pin", "product_id": BIKER})
    body = {"sku": BIKER_S, "quantity": 5, "show_id": SHOW}
    async with connect(server.ws_url(SHOW)) as ws, server.http() as client:
        await receive_until(ws, "snapshot")
        bought = await buy(client, first, "all-of-it", **body)
        assert bought.status_code == 201, bought.text
        await stock_frame(ws, BIKER_S, 0)

        before = gate_refusals()
        one = {"sku": BIKER_S, "quantity": 1, "show_id": SHOW}
        refused = await buy(client, second, "one-more", **one)
        assert gate_refusals() == before + 1
        # The same body as the order script's own refusal (the server without a gate).
        async with plain.http() as other:
            scripted = await buy(other, second, "one-more", **one)
        assert refused.status_code == scripted.status_code == 409
        assert refused.json() == scripted.json()
        assert refused.json()["error"]["code"] == "out_of_stock"

        replayed = await buy(client, first, "all-of-it", **body)
        assert replayed.status_code == 200 and replayed.json()["id"] == bought.json()["id"]
        await redis.delete(keys.session(gone.partition(".")[0]))
        expired = await buy(client, gone, "one-more", **one)
        assert expired.status_code == 401, expired.text
        forged = await buy(client, gone[:-1] + ("0" if gone[-1] != "0" else "1"), "k", **one)
        assert forged.status_code == 401, forged.text
        assert gate_refusals() == before + 1

        restocked = await client.post(
            f"/api/inventory/{BIKER_S}/restock",
            json={"units": 1},
            headers={"Authorization": f"Bearer {PRODUCER_TOKEN}"},
        )
        assert restocked.status_code == 200, restocked.text
        await stock_frame(ws, BIKER_S, 1)
        again = await buy(client, second, "after-restock", **one)
        assert again.status_code == 201, again.text
    await assert_invariant(redis, BIKER_S)


def test_lapsed_flag_lets_one_probe_through() -> None:
    """A lapsed flag lets one buy ask the script and keeps refusing the rest until it answers;
    an order (or a refusal made past the stock checks) clears it; a deal frame with units too."""
    now = [1000]
    gate = SoldOutGate(hold_ms=100, clock=lambda: now[0])
    lines = [{"sku": BIKER_S}]
    gate.stock(SHOW, {"stock": [{"sku": BIKER_S, "available": 0}], "deals": []})
    assert gate.refusal(SHOW, lines, None) is not None
    assert gate.holds_refused(SHOW, BIKER_S, None)
    now[0] += 100
    # Looking does not take the lapsed flag's probe: the next buy still asks the script.
    assert not gate.holds_refused(SHOW, BIKER_S, None)
    assert gate.refusal(SHOW, lines, None) is None
    assert gate.holds_refused(SHOW, BIKER_S, None)
    assert gate.refusal(SHOW, lines, None) is not None
    gate.accepted(SHOW, lines, None)
    assert gate.refusal(SHOW, lines, None) is None
    gate.stock(SHOW, {"stock": [], "deals": [{"deal_id": "d", "units_left": 0}]})
    refused = gate.refusal(SHOW, lines, "d")
    assert refused is not None and refused.details["reason"] == "deal sold out"
    assert gate.holds_refused(SHOW, "SBC-BIKR-M", "d")
    gate.stock(SHOW, {"stock": [], "deals": [{"deal_id": "d", "units_left": 3}]})
    assert gate.refusal(SHOW, lines, "d") is None
