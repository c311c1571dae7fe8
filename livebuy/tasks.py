"""Background-task hygiene: loops that retry on Redis errors, and a shutdown that cannot hang."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger(__name__)


def raise_if_cancelled() -> None:
    """Re-raise a cancellation that arrived disguised as a Redis error.

    On Python 3.11, a cancellation that races an ``asyncio.timeout`` deadline inside redis-py
    surfaces as ``TimeoutError`` (a ``RedisError`` to callers); a loop that retries on
    ``RedisError`` would then keep running after it was cancelled. Call this in those handlers.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop_within(what: str, timeout_s: float, *steps: Awaitable[Any]) -> None:
    """Run shutdown steps one by one, each given at most ``timeout_s``; a stuck one is logged.

    ``asyncio.wait`` is used rather than ``wait_for``: a step that ignores cancellation must not
    hold the whole process's shutdown.
    """
    for step in steps:
        task = asyncio.ensure_future(step)
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        if not done:
            task.cancel()
            log.warning("shutdown step did not finish in time", extra={"step": what})
        elif not task.cancelled() and task.exception() is not None:
            log.error("shutdown step failed", extra={"step": what}, exc_info=task.exception())
