"""Helpers of the red-packet tests: a rain cue, opened in a show's state."""

from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis

from livebuy.clock import now_ms
from livebuy.events.state import red_packets_location
from livebuy.redis import keys

SHOW = "spring-runway"


def rain_cue(rain_id: str, count: int = 10, budget: int = 1000, **terms: Any) -> dict[str, Any]:
    """A ``red_packets`` cue: ``count`` packets of 50..200 EUR cents over 5 s, unless told."""
    cue: dict[str, Any] = {
        "kind": "red_packets",
        "rain_id": rain_id,
        "budget": budget,
        "currency": "EUR",
        "count": count,
        "min_amount": 50,
        "max_amount": 200,
        "duration_ms": 5000,
    }
    cue.update(terms)
    return cue


async def open_in_state(
    redis: Redis, rain_id: str, duration_ms: int = 60_000, **terms: Any
) -> dict[str, Any]:
    """Put a rain in the show's state as its cue would (for service tests without a stream)."""
    now = now_ms()
    rain = {**rain_cue(rain_id, **terms), "started_at": now, "ends_at": now + duration_ms}
    rain.pop("kind")
    key, field = red_packets_location(SHOW, rain_id)
    await redis.hset(key, field, orjson.dumps(rain))
    await redis.sadd(keys.shows_index(), SHOW)
    return rain
