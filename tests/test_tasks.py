"""Background-task hygiene: cancellation is never lost, shutdown never hangs."""

from __future__ import annotations

import asyncio

from redis.exceptions import RedisError

from livebuy.tasks import raise_if_cancelled, stop_within


async def test_stop_within_leaves_a_step_that_ignores_cancellation() -> None:
    """A shutdown step that swallows its cancellation is abandoned after the time limit."""
    release = asyncio.Event()
    finished: list[str] = []

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    async def quick() -> None:
        finished.append("quick")

    await stop_within("test", 0.05, stubborn(), quick())
    assert finished == ["quick"]
    release.set()


async def test_retry_loop_stops_when_cancelled_inside_a_redis_error() -> None:
    """A loop retrying on RedisError ends once its task is cancelled, even if the error wins."""
    started = asyncio.Event()

    async def loop() -> None:
        while True:
            try:
                started.set()
                try:
                    await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    # What the 3.11 timeout race does inside redis-py: the cancel becomes an error.
                    raise RedisError("cancellation surfaced as a Redis timeout") from None
            except RedisError:
                raise_if_cancelled()

    task = asyncio.create_task(loop())
    await started.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()
