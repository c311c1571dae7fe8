"""Helpers of the analytics tests: ask a server for a show's figures, wait until they hold."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.servers import PRODUCER_TOKEN, TIMEOUT_S, LiveServer

SHOW = "spring-runway"
PRODUCER = {"Authorization": f"Bearer {PRODUCER_TOKEN}"}


async def analytics(server: LiveServer, show_id: str = SHOW) -> dict[str, Any]:
    """``GET /api/shows/{show_id}/analytics`` as the producer."""
    async with server.http() as client:
        response = await client.get(f"/api/shows/{show_id}/analytics", headers=PRODUCER)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def analytics_until(
    server: LiveServer, holds: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Ask again until ``holds(answer)``; fails after the suite's timeout with the last answer."""
    last: dict[str, Any] = {}
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                last = await analytics(server)
                if holds(last):
                    return last
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"analytics never matched; last answer: {last}") from None


def sales_of(answer: dict[str, Any], product_id: str) -> dict[str, Any] | None:
    """The sales row of one product, if it has one."""
    return next((row for row in answer["sales"] if row["product_id"] == product_id), None)


def total(series: list[dict[str, int]]) -> int:
    """Sum of a per-minute series."""
    return sum(point["value"] for point in series)
