"""The gateway's ASGI path (no raw transport, as under another server) keeps every promise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.gateway import test_gateway
from tests.servers import LiveServer

# Timing-sensitive under CPU contention: scripts/test runs these after the parallel phase,
# alone on the machine (see the serial marker in pyproject.toml).
pytestmark = pytest.mark.serial

MakeServer = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
def asgi_server(make_server: MakeServer) -> MakeServer:
    """``make_server`` with the raw-transport fast path off: frames go through ASGI ``send``."""

    async def start(**overrides: Any) -> LiveServer:
        return await make_server(ws_fast_path=False, **overrides)

    return start


async def test_join_on_the_asgi_path(asgi_server: MakeServer) -> None:
    """Without the fast path the first frame is still the snapshot."""
    await test_gateway.test_first_frame_is_snapshot_with_show_and_seq(asgi_server)


async def test_live_cues_in_order_on_the_asgi_path(asgi_server: MakeServer) -> None:
    """Without the fast path live cues arrive in order with consecutive seqs."""
    await test_gateway.test_cues_arrive_in_order_with_consecutive_seq(asgi_server)


async def test_resume_on_the_asgi_path(asgi_server: MakeServer) -> None:
    """Without the fast path a resume has no gap and no duplicate."""
    await test_gateway.test_resume_with_since_has_no_gap_and_no_duplicate(asgi_server)


async def test_late_joiner_on_the_asgi_path(asgi_server: MakeServer) -> None:
    """Without the fast path a late joiner gets the current state at once."""
    await test_gateway.test_late_joiner_gets_current_state_at_once(asgi_server)


async def test_error_reply_on_the_asgi_path(asgi_server: MakeServer) -> None:
    """Without the fast path a malformed frame gets an error frame and the connection stays."""
    await test_gateway.test_malformed_frame_gets_error_and_connection_stays(asgi_server)


async def test_slow_viewer_on_the_asgi_path(asgi_server: MakeServer, redis: Redis) -> None:
    """Without the fast path a viewer that stops reading is closed and never delays others.

    Past the close bound the handler ends and uvicorn closes the connection as for any finished
    handler: after the socket's buffer, so the viewer may read to its end (EOF) instead of a reset.
    """
    await test_gateway.check_slow_viewer(asgi_server, redis, ends=(ConnectionResetError, EOFError))
