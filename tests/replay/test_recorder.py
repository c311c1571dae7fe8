"""The recorder against the real Redis, stepped by hand: what it files and how it recovers."""

from __future__ import annotations

from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.content import load_content
from livebuy.events.stream import ShowStream
from livebuy.redis import keys
from livebuy.replay.recorder import ReplayRecorder
from livebuy.replay.service import ReplayService
from livebuy.services import catalog_store
from livebuy.shows.models import PinCue
from livebuy.shows.service import ShowService
from tests.servers import settings_for_tests

SHOW = "spring-runway"


async def test_recording_resumes_from_the_live_state_when_history_was_trimmed(
    redis: Redis,
) -> None:
    """Events trimmed before the recorder read them: the state it records is still the live one."""
    settings = settings_for_tests()
    catalog = catalog_store(redis)
    shows = ShowService(redis, ShowStream(redis, settings.shows.stream_maxlen), catalog, 1.0)
    (show,) = await load_content(redis, catalog, shows, settings)
    recorder = ReplayRecorder(
        redis, shows, show, runs_kept=2, ttl_ms=60_000, interval_ms=100, lease_ms=5000
    )
    assert await recorder.loop.lease.refresh(now_ms())  # type: ignore[union-attr]
    products = ["aurelle-silk-slip-dress", "aurelle-mini-crossbody", "lunaire-aviator"]

    async def pin(product_id: str) -> None:
        await shows.publish(SHOW, product_id, PinCue(kind="pin", product_id=product_id), now_ms())

    await pin(products[0])
    await recorder.step()
    await pin(products[1])
    # The recorder is away while the stream is trimmed past what it read.
    await redis.xtrim(keys.show_events(SHOW), maxlen=0)
    await pin(products[2])
    await recorder.step()

    replay = ReplayService(redis, shows, catalog)
    state = await replay.state_at(SHOW, 0, now_ms())
    assert [pin["product_id"] for pin in state.pinned] == products
