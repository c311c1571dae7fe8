"""The one way to run background work: an ``ElectedLoop`` per job, started and stopped together.

A loop calls its ``step`` every ``interval_s`` (a fixed cadence: time spent in the step does not
stretch the interval). With a ``Lease`` it calls the step only while this process holds the
lease; without one, every process runs it. Everything loops have in common lives here and only
here: taking, renewing and releasing the lease, retrying with backoff after any error (a loop
never ends by itself: a sweeper that died on one unexpected reply would strand every reservation
after it), telling a cancellation disguised as a Redis error apart (``raise_if_cancelled``), and a
stop that cannot hang. A feature adds background work by building a loop and registering it.

An idle loop need not wake every ``interval_s``: its owner's ``idle`` hint says, after each step,
whether there is nothing to do and until when (the next due time it knows of, or ``inf``). The loop
then waits longer and longer (doubling from ``interval_s``) up to the hint and ``max_idle_s``, which
never exceeds a third of the lease (the renewal period, so the failover bound is unchanged). Work
that appears meanwhile is picked up within ``max_idle_s``, or at once through ``wake``/``wake_on``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import ParamSpec, TypeVar

from livebuy.clock import Clock, now_ms
from livebuy.redis.lease import Lease
from livebuy.tasks import raise_if_cancelled, stop_within

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
Step = Callable[[], Awaitable[object]]
Hook = Callable[[], Awaitable[None]]
# After a step: None while there is work, else the seconds until the next work known of (or inf).
IdleHint = Callable[[], float | None]

# After consecutive failures the wait doubles, up to this (or the interval, if that is longer).
MAX_BACKOFF_S = 1.0
# The shortest idle rest (a hint of zero must not spin the loop).
MIN_REST_S = 0.001
# ``LoopRegistry.stop``: how long loops get to finish their step, then again once cancelled.
STOP_TIMEOUT_S = 2.0


class LeaseLost(Exception):
    """Raised by a step that learned the lease is no longer ours (e.g. a fenced write refused)."""


class StepAside(Exception):
    """Raised by a step to give the lease up and not compete for it for ``pause_ms``."""

    def __init__(self, pause_ms: int) -> None:
        super().__init__(f"stepping aside for {pause_ms} ms")
        self.pause_ms = pause_ms


class ElectedLoop:
    """Runs ``step`` every ``interval_s``; with a ``lease``, only while this process holds it.

    Hooks: ``on_elected`` runs when this process takes the lease, ``on_lost`` when it stops
    holding it (another process took it, the step raised ``LeaseLost``/``StepAside``, or Redis
    stayed unreachable for longer than the lease: until then the lease may still be ours, so a
    short blip does not interrupt the job), ``on_stop`` once when the loop ends, before the lease
    is released. Any exception of a step is logged and retried with backoff; ``wake_on`` are events
    that start the next step at once.
    """

    def __init__(
        self,
        name: str,
        lease: Lease | None,
        step: Step,
        interval_s: float,
        *,
        on_elected: Hook | None = None,
        on_lost: Hook | None = None,
        on_stop: Hook | None = None,
        wake_on: Sequence[asyncio.Event] = (),
        idle: IdleHint | None = None,
        max_idle_s: float = 0.0,
        clock: Clock = now_ms,
    ) -> None:
        self.name = name
        self.lease = lease
        self.interval_s = interval_s
        self.failures = 0
        # Set after every pass, whatever it did (callers wait for the first decision).
        self.passed = asyncio.Event()
        self._step = step
        self._on_elected = on_elected
        self._on_lost = on_lost
        self._on_stop = on_stop
        self._wake_on = tuple(wake_on)
        self._clock = clock
        self._paused_until = 0
        self._stopping = asyncio.Event()
        self._idle = idle
        # A longer rest would let the lease lapse between renewals.
        lease_third_s = float("inf") if lease is None else lease.ttl_ms / 3000
        self.max_idle_s = min(max_idle_s, lease_third_s)
        self.idle_passes = 0
        self._stepped = False
        self._sleeper: asyncio.Future[None] | None = None
        self._woken = False

    def stop(self) -> None:
        """Ask ``run`` to return after the current step.

        Stopping by an event rather than by cancellation alone: redis-py may absorb a
        cancellation that lands mid-command, which would leave a cancelled loop running.
        """
        self._stopping.set()
        self._rouse()

    def wake(self) -> None:
        """Start the next step at once and leave any idle rest (work appeared in this process)."""
        self.idle_passes = 0
        self._rouse()

    def _rouse(self) -> None:
        # Called during a step, it makes the next wait return at once.
        self._woken = True
        sleeper = self._sleeper
        if sleeper is not None and not sleeper.done():
            sleeper.set_result(None)

    async def run(self) -> None:
        """Step until stopped; then ``on_stop`` and release the lease (shielded)."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        try:
            while not self._stopping.is_set():
                failed = await self._pass()
                self.passed.set()
                if failed:
                    self.failures += 1
                    backoff = max(self.interval_s, MAX_BACKOFF_S)
                    delay = min(self.interval_s * 2**self.failures, backoff)
                    next_at = loop.time() + delay
                else:
                    self.failures = 0
                    rest = self._rest()
                    if rest is None:
                        next_at = max(next_at + self.interval_s, loop.time())
                    else:
                        next_at = loop.time() + rest
                await self._wait(next_at - loop.time())
        finally:
            await asyncio.shield(self._finish())

    def _rest(self) -> float | None:
        """How long to wait after a step that found nothing to do (None: the usual cadence)."""
        hint = None
        if self._stepped and self._idle is not None and self.max_idle_s > self.interval_s:
            hint = self._idle()
        if hint is None:
            self.idle_passes = 0
            return None
        self.idle_passes += 1
        backoff = self.interval_s * 2.0 ** min(self.idle_passes, 30)
        # Up to the hint exactly (a cue's time), never a busy spin.
        return max(min(backoff, hint, self.max_idle_s), MIN_REST_S)

    async def _pass(self) -> bool:
        """One pass; returns whether it failed with a retried error."""
        self._stepped = False
        try:
            if await self._elected():
                await self._step()
                self._stepped = True
        except LeaseLost:
            log.warning("lease lost", extra={"loop": self.name})
            await self._lose()
        except StepAside as aside:
            log.warning("stepping aside", extra={"loop": self.name, "pause_ms": aside.pause_ms})
            # The job stops first, then the lease goes: a successor never runs beside it.
            await self._run_hook(self._on_lost)
            if self.lease is not None:
                await self.lease.release()
            self._paused_until = self._clock() + aside.pause_ms
        except Exception:
            raise_if_cancelled()
            log.exception("background step failed; retrying", extra={"loop": self.name})
            await self._after_error()
            return True
        return False

    async def _elected(self) -> bool:
        lease = self.lease
        if lease is None:
            return True
        now = self._clock()
        if now < self._paused_until:
            return False
        was_held = lease.held
        if not await lease.refresh(now):
            if was_held:
                log.info("lease taken by another process", extra={"loop": self.name})
                await self._run_hook(self._on_lost)
            return False
        if not was_held:
            log.info("elected", extra={"loop": self.name})
            await self._run_hook(self._on_elected)
        return True

    async def _lose(self) -> None:
        if self.lease is not None:
            self.lease.forget()
        await self._run_hook(self._on_lost)

    async def _after_error(self) -> None:
        # Redis is unreachable: the lease stays ours until it has certainly expired (another
        # process may hold it from then on).
        lease = self.lease
        if lease is not None and lease.held and lease.expired(self._clock()):
            await self._lose()

    async def _run_hook(self, hook: Hook | None) -> None:
        if hook is not None:
            await hook()

    async def _wait(self, delay_s: float) -> None:
        if self._woken or self._stopping.is_set():
            self._woken = False
            return
        # One future and one timer per pass (no task) unless there are events to watch.
        loop = asyncio.get_running_loop()
        self._sleeper = sleeper = loop.create_future()
        timer = loop.call_later(max(delay_s, 0), _settle, sleeper)
        waiters = [asyncio.ensure_future(event.wait()) for event in self._wake_on]
        for waiter in waiters:
            waiter.add_done_callback(lambda _: _settle(sleeper))
        try:
            if not any(event.is_set() for event in self._wake_on):
                await sleeper
        finally:
            timer.cancel()
            self._sleeper = None
            self._woken = False
            for waiter in waiters:
                waiter.cancel()
        for event in self._wake_on:
            if event.is_set():
                self.idle_passes = 0
            event.clear()

    async def _finish(self) -> None:
        try:
            await self._run_hook(self._on_stop)
        except Exception:
            log.exception("background loop stop hook failed", extra={"loop": self.name})
        if self.lease is not None:
            await self.lease.release()


def waking(loop: ElectedLoop, action: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``action`` that then wakes ``loop`` (e.g. an auction opened here: its closer looks now)."""

    async def woken(*args: P.args, **kwargs: P.kwargs) -> T:
        result = await action(*args, **kwargs)
        loop.wake()
        return result

    return woken


class LoopRegistry:
    """The background loops of this process: the app's lifespan starts and stops them together.

    A loop added after ``start`` (e.g. a show's chat batcher, when its first viewer arrives here)
    starts at once; names are unique, so adding a name twice keeps the first loop.
    """

    def __init__(self, stop_timeout_s: float = STOP_TIMEOUT_S) -> None:
        self._stop_timeout_s = stop_timeout_s
        self._loops: dict[str, ElectedLoop] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started = False

    def __contains__(self, name: str) -> bool:
        return name in self._loops

    def add(self, loop: ElectedLoop) -> ElectedLoop:
        """Register ``loop`` (started at once when the registry runs); returns the registered one."""
        existing = self._loops.get(loop.name)
        if existing is not None:
            return existing
        self._loops[loop.name] = loop
        if self._started:
            self._spawn(loop)
        return loop

    def start(self) -> None:
        """Start every registered loop."""
        self._started = True
        for loop in self._loops.values():
            if loop.name not in self._tasks:
                self._spawn(loop)

    async def stop(self) -> None:
        """Stop every loop: each finishes its step, or is cancelled after ``stop_timeout_s``; one
        that ignores even that is logged and left behind, so shutdown never hangs."""
        self._started = False
        for loop in self._loops.values():
            loop.stop()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self._stop_timeout_s)
            for task in late:
                task.cancel()
            if late:
                await stop_within(
                    "background loops",
                    self._stop_timeout_s,
                    asyncio.gather(*late, return_exceptions=True),
                )
        self._tasks.clear()
        self._loops.clear()

    def _spawn(self, loop: ElectedLoop) -> None:
        task = asyncio.create_task(loop.run(), name=loop.name)
        self._tasks[loop.name] = task
        task.add_done_callback(lambda done: _log_crash(loop.name, done))


def _settle(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


def _log_crash(name: str, task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        error = task.exception()
        if error is not None:
            log.error("background loop crashed", extra={"loop": name}, exc_info=error)
