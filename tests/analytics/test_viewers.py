"""Viewers summed across gateway processes on one Redis; a stopped or crashed process drops out."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from websockets.asyncio.client import connect

from tests.analytics.helpers import SHOW, analytics, analytics_until
from tests.servers import PRODUCER_TOKEN, LiveServer, ProcessServer, receive_json, start_together

FAST = {"viewer_report_interval_ms": 100, "viewer_stale_ms": 1500}
# Far longer than the test waits: a process that drops out under it withdrew its own entry.
NEVER_STALE = {"viewer_report_interval_ms": 100, "viewer_stale_ms": 3_600_000}


async def _viewers_on_two_processes(
    make_server: Callable[..., Awaitable[LiveServer]],
    stack: AsyncExitStack,
    settings: dict[str, int],
) -> tuple[LiveServer, ProcessServer]:
    """2 viewers on the first process and 3 on the second, both answering 5."""
    first, second = await start_together(make_server, 2, process=True, **settings)
    assert isinstance(second, ProcessServer)
    for server, count in ((first, 2), (second, 3)):
        for _ in range(count):
            ws = await stack.enter_async_context(connect(server.ws_url(SHOW)))
            await receive_json(ws)
    await analytics_until(first, lambda answer: answer["viewers"] == 5)
    from_second = await analytics(second)
    assert from_second["viewers"] == 5
    assert from_second["viewers_per_minute"][-1]["value"] >= 5
    return first, second


async def test_viewers_are_summed_over_processes_and_a_crashed_one_drops_out(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """2 viewers on A and 3 on B: both answer 5; once B is killed, A answers 2 (staleness)."""
    async with AsyncExitStack() as stack:
        first, second = await _viewers_on_two_processes(make_server, stack, FAST)
        await second.kill()
        after = await analytics_until(first, lambda answer: answer["viewers"] == 2)
    # The minute's peak remembers the five viewers.
    assert max(point["value"] for point in after["viewers_per_minute"]) == 5
    assert len(after["viewers_per_minute"]) == 30
    await analytics_until(first, lambda answer: answer["viewers"] == 0)


async def test_a_process_stopping_cleanly_withdraws_its_viewers(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """With a staleness window of an hour, B's viewers leave the total only if B withdraws them."""
    async with AsyncExitStack() as stack:
        first, second = await _viewers_on_two_processes(make_server, stack, NEVER_STALE)
        await second.stop()
        await analytics_until(first, lambda answer: answer["viewers"] == 2)


async def test_a_console_watching_the_show_is_not_counted_as_a_viewer(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    """Two viewers and a producer's console (``role=console``): the show has two viewers."""
    server = await make_server(**FAST)
    async with AsyncExitStack() as stack:
        for url in (
            server.ws_url(SHOW),
            server.ws_url(SHOW, role="console"),
            server.ws_url(SHOW, role="viewer"),
        ):
            ws = await stack.enter_async_context(connect(url))
            if "role=console" in url:
                await ws.send(json.dumps({"type": "auth", "data": {"token": PRODUCER_TOKEN}}))
            assert (await receive_json(ws))["type"] == "snapshot"
        answer = await analytics_until(server, lambda answer: answer["viewers"] == 2)
        assert max(point["value"] for point in answer["viewers_per_minute"]) == 2
