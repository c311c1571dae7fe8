"""/metrics after real traffic: the latency histograms, valid exposition, the Grafana dashboard."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from tests.chat.helpers import chat, new_session
from tests.commerce.helpers import SHOW, SKU, buy
from tests.servers import TIMEOUT_S, LiveServer, receive_until

MakeServer = Callable[..., Awaitable[LiveServer]]
DASHBOARD = Path(__file__).parent.parent.parent / "docs" / "grafana-dashboard.json"
HISTOGRAMS = {
    "livebuy_cue_to_send_seconds",
    "livebuy_order_seconds",
    "livebuy_chat_post_to_batch_seconds",
    "livebuy_redis_script_seconds",
    "livebuy_http_request_seconds",
}


async def scrape(server: LiveServer) -> str:
    """The /metrics page."""
    async with server.http() as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


def viewers_series(text: str) -> list[str]:
    """The ``livebuy_viewers`` samples of the show."""
    return [
        line for line in text.splitlines() if line.startswith(f'livebuy_viewers{{show_id="{SHOW}"')
    ]


async def test_histograms_after_traffic_and_dashboard(make_server: MakeServer) -> None:
    """After buys, a cue and a chat post, /metrics parses, has every histogram with observations,
    labels routes by template, passes promtool; a show's series go with its last viewer; every
    dashboard query names an exposed metric."""
    server = await make_server(chat_batch_interval_ms=20)
    viewer = await new_session(server)
    async with connect(server.ws_url(SHOW, token=viewer["token"])) as ws:
        await receive_until(ws, "snapshot")
        assert (await chat(ws, "hello metrics"))["type"] == "chat_ack"
        await receive_until(ws, "chat")
        await server.post_cue(SHOW, {"kind": "announce", "text": "metrics"})
        await receive_until(ws, "cue")
        async with server.http() as client:
            created = await buy(client, viewer["token"], "m-1", sku=SKU, show_id=SHOW)
            assert created.status_code == 201, created.text
            order_id = created.json()["id"]
            unknown = await buy(client, viewer["token"], "m-2", sku="NO-SUCH-SKU")
            assert unknown.status_code == 404
            assert (
                await client.get(
                    f"/api/orders/{order_id}",
                    headers={"Authorization": f"Bearer {viewer['token']}"},
                )
            ).status_code == 200
        text = await scrape(server)
        assert viewers_series(text)

    families = {family.name: family for family in text_string_to_metric_families(text)}
    for name in HISTOGRAMS:
        assert families[name].type == "histogram", name
        counts = [s.value for s in families[name].samples if s.name == name + "_count"]
        assert counts and sum(counts) > 0, name
    routes = {s.labels["route"] for s in families["livebuy_http_request_seconds"].samples}
    assert {"/api/orders", "/api/orders/{order_id}"} <= routes
    assert not any(order_id in route for route in routes)
    outcomes = {s.labels["outcome"] for s in families["livebuy_order_seconds"].samples}
    assert {"created", "unknown_sku"} <= outcomes
    scripts = {s.labels["script"] for s in families["livebuy_redis_script_seconds"].samples}
    assert "order_create" in scripts

    promtool = shutil.which("promtool")
    if promtool is not None:
        checked = await asyncio.create_subprocess_exec(
            promtool,
            "check",
            "metrics",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output, _ = await checked.communicate(text.encode())
        assert checked.returncode == 0, output.decode()

    # The show's last viewer left this process: its series go.
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            if not viewers_series(await scrape(server)):
                break
            await asyncio.sleep(0.05)

    exposed = {sample.name for family in families.values() for sample in family.samples}
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert queries
    for query in queries:
        for name in re.findall(r"\blivebuy_[a-z_]+", query):
            assert name in exposed, f"{name} (in {query!r}) is not on /metrics"
