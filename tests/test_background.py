"""The one background primitive: an elected loop runs in one process, retries, and stops in time."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from livebuy.background import ElectedLoop, LeaseLost, LoopRegistry, StepAside
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis
from livebuy.redis.lease import Lease
from tests.servers import TIMEOUT_S, LiveServer

LEASE_KEY = "test:{background}:lease"
DEMO_SHOW = "spring-runway"
MakeServer = Callable[..., Awaitable[LiveServer]]


async def _until(event: asyncio.Event, what: str) -> None:
    try:
        async with asyncio.timeout(TIMEOUT_S):
            await event.wait()
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_two_registries_racing_for_one_lease_run_the_step_in_one_only(redis: Redis) -> None:
    """Of two processes' loops on one lease, exactly one runs the step; stopping it hands over."""
    ran: dict[str, int] = {"a": 0, "b": 0}
    enough = asyncio.Event()
    handed_over = asyncio.Event()
    winner: list[str] = []

    def looping(name: str) -> ElectedLoop:
        async def step() -> None:
            ran[name] += 1
            if winner and name != winner[0]:
                handed_over.set()
            if sum(ran.values()) >= 20:
                enough.set()

        return ElectedLoop("job", Lease(redis, LEASE_KEY, 5000), step, 0.005)

    registries = {name: LoopRegistry() for name in ("a", "b")}
    for name, registry in registries.items():
        registry.add(looping(name))
        registry.start()
    await _until(enough, "20 steps")
    assert sorted(ran.values())[0] == 0, ran
    winner.append(max(ran, key=lambda name: ran[name]))
    await registries[winner[0]].stop()
    # The released lease is taken at once, long before its 5 s would run out.
    await _until(handed_over, "the other process to take over")
    for registry in registries.values():
        await registry.stop()


@pytest.mark.parametrize(
    "error", [RedisError("connection reset"), KeyError("a field an unexpected reply lacked")]
)
async def test_a_failing_step_is_retried(redis: Redis, error: Exception) -> None:
    """Any error in a step is logged and the step runs again (the loop never dies); the lease
    stays ours."""
    calls: list[int] = []
    elected: list[int] = []
    again = asyncio.Event()

    async def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise error
        again.set()

    async def on_elected() -> None:
        elected.append(1)

    registry = LoopRegistry()
    lease = Lease(redis, LEASE_KEY, 5000)
    registry.add(ElectedLoop("job", lease, step, 0.005, on_elected=on_elected))
    registry.start()
    await _until(again, "the step to run again")
    assert elected == [1]
    assert await redis.get(LEASE_KEY) == lease.owner
    await registry.stop()
    assert await redis.get(LEASE_KEY) is None


async def test_a_step_that_says_the_lease_is_lost_gives_it_up_and_is_elected_again(
    redis: Redis,
) -> None:
    """``LeaseLost`` runs ``on_lost``; the next pass asks Redis again and is re-elected."""
    events: list[str] = []
    twice = asyncio.Event()

    async def step() -> None:
        events.append("step")
        if events.count("step") == 1:
            raise LeaseLost

    async def on_elected() -> None:
        events.append("elected")
        if events.count("elected") == 2:
            twice.set()

    async def on_lost() -> None:
        events.append("lost")

    registry = LoopRegistry()
    registry.add(
        ElectedLoop(
            "job",
            Lease(redis, LEASE_KEY, 5000),
            step,
            0.005,
            on_elected=on_elected,
            on_lost=on_lost,
        )
    )
    registry.start()
    await _until(twice, "a second election")
    assert events[:4] == ["elected", "step", "lost", "elected"]
    await registry.stop()


async def test_stop_is_bounded_even_if_a_step_hangs_and_ignores_cancellation() -> None:
    """A step that never returns, even when cancelled, cannot hold the shutdown."""
    entered = asyncio.Event()
    release = asyncio.Event()
    stopped = asyncio.Event()

    async def stubborn() -> None:
        entered.set()
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    async def on_stop() -> None:
        stopped.set()

    registry = LoopRegistry(stop_timeout_s=0.05)
    registry.add(ElectedLoop("stuck", None, stubborn, 0.005, on_stop=on_stop))
    registry.start()
    await _until(entered, "the step to start")
    async with asyncio.timeout(TIMEOUT_S):
        await registry.stop()
    assert not stopped.is_set()
    release.set()
    await _until(stopped, "the abandoned loop to end once its step returns")


async def test_a_loop_cancelled_inside_a_redis_error_ends() -> None:
    """A cancellation that surfaces as a Redis error ends the loop instead of being retried."""
    entered = asyncio.Event()

    async def step() -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RedisError("cancellation surfaced as a Redis timeout") from None

    loop = ElectedLoop("job", None, step, 0.005)
    task = asyncio.create_task(loop.run())
    await _until(entered, "the step to start")
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=TIMEOUT_S)
    assert task in done and task.cancelled()


async def test_a_wake_event_runs_the_next_step_at_once() -> None:
    """A set ``wake_on`` event starts the next pass without waiting for the interval."""
    wake = asyncio.Event()
    passes: list[int] = []
    second = asyncio.Event()

    async def step() -> None:
        passes.append(1)
        if len(passes) == 2:
            second.set()

    registry = LoopRegistry()
    loop = registry.add(ElectedLoop("job", None, step, 3600, wake_on=(wake,)))
    registry.start()
    await _until(loop.passed, "the first pass")
    wake.set()
    await _until(second, "the woken pass")
    await registry.stop()


async def test_a_step_that_steps_aside_releases_the_lease_after_on_lost(redis: Redis) -> None:
    """``StepAside`` runs ``on_lost``, then frees the lease in Redis for another process at once."""
    seen: list[object] = []

    async def step() -> None:
        raise StepAside(60_000)

    async def on_lost() -> None:
        seen.append(await redis.get(LEASE_KEY))

    lease = Lease(redis, LEASE_KEY, 5000)
    registry = LoopRegistry()
    loop = registry.add(ElectedLoop("job", lease, step, 0.005, on_lost=on_lost))
    registry.start()
    await _until(loop.passed, "the first pass")
    assert seen == [lease.owner]
    assert await redis.get(LEASE_KEY) is None
    await registry.stop()


async def test_an_idle_loop_rests_wakes_at_once_and_resumes_its_cadence(redis: Redis) -> None:
    """A step that reports nothing to do backs off (a few passes in a window, not one per
    interval); ``wake`` runs the next pass at once; busy again, it steps at the usual cadence."""
    busy = False
    passes: list[int] = []
    woken = asyncio.Event()
    resumed = asyncio.Event()

    async def step() -> None:
        passes.append(1)
        if len(passes) == mark + 1:
            woken.set()
        if len(passes) >= mark + 40:
            resumed.set()

    mark = 10**9
    registry = LoopRegistry()
    loop = registry.add(
        ElectedLoop(
            "job",
            None,
            step,
            0.001,
            idle=lambda: None if busy else float("inf"),
            max_idle_s=3600,
        )
    )
    # With a lease, the rest stops at its renewal period (a third of it).
    leased = ElectedLoop("leased", Lease(redis, LEASE_KEY, 300), step, 0.001, max_idle_s=3600)
    assert leased.max_idle_s == pytest.approx(0.1)
    registry.start()
    window_s = 0.5
    await asyncio.sleep(window_s)
    # A 1 ms cadence would be ~500 passes; doubling rests make about log2(500) + 1.
    assert len(passes) <= 15, len(passes)
    assert loop.idle_passes >= 5
    mark = len(passes)
    busy = True
    loop.wake()
    await _until(woken, "the woken pass")
    await _until(resumed, "40 passes at the usual cadence")
    assert loop.idle_passes == 0
    await registry.stop()


async def test_an_idle_server_polls_redis_at_its_idle_rests(
    make_server: MakeServer, redis_server: EmbeddedRedis
) -> None:
    """With nothing to do, the stock pusher, the auction and drop closers and the payments worker
    look at Redis at their idle rests, not at their ticks (counted per key with MONITOR; the
    sharded sets by their first bucket, each pass reads every bucket once)."""
    await make_server(stock_push_interval_ms=250, auction_tick_ms=100, drop_tick_ms=200)
    window_s = 3.0
    seen: Counter[str] = Counter()
    watched = {
        f"SPOP {keys.stock_dirty(0)}": 1 / 0.25,
        f"ZRANGEBYSCORE {keys.auctions_open(DEMO_SHOW)}": 1 / 1.0,
        f"ZRANGEBYSCORE {keys.drops_due()}": 1 / 1.0,
        f"ZRANGEBYSCORE {keys.refunds_due(0)}": 1 / 1.0,
    }
    client = connect(redis_server.url)
    try:
        async with client.monitor() as monitor:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(window_s):
                    async for command in monitor.listen():
                        words = str(command["command"]).split(" ")
                        seen[" ".join(words[:2])] += 1
    finally:
        await client.aclose()
    for command, per_s in watched.items():
        # The rest's rate, plus the doubling passes after a busy spell, with room to spare.
        bound = window_s * per_s * 1.5 + 8
        assert seen[command] <= bound, (command, seen[command], bound)
        assert seen[command] >= 1, (command, seen)
