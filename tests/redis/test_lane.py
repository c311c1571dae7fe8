"""The lane: one multiplexed connection, replies in order, errors as redis-py's, reconnects."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from livebuy.processes import terminate
from livebuy.redis.connection import connect
from livebuy.redis.embedded import EmbeddedRedis, free_port, start_server, wait_until
from livebuy.redis.lane import Lane, LaneRedis, lane_of, run, run_all, run_behind
from livebuy.redis.scripts import ScriptCall, register, run_together
from tests import slot_guard


def lane(redis: Redis) -> Lane:
    """The lane of the suite's client (a single Redis: it has one)."""
    found = lane_of(redis)
    assert found is not None
    return found


async def test_concurrent_calls_each_get_their_own_reply(redis: Redis) -> None:
    """Hundreds of calls in flight at once, sent together: every caller gets its own reply."""
    await redis.mset({f"lane:{n}": f"value-{n}" for n in range(300)})

    async def read(n: int) -> tuple[int, object]:
        if n % 3 == 0:
            return n, await run(redis, "INCRBY", f"lane:count:{n}", n)
        return n, await run(redis, "GET", f"lane:{n}")

    replies = await asyncio.gather(*(read(n) for n in range(300)))
    for n, reply in replies:
        assert reply == (n if n % 3 == 0 else f"value-{n}")
    assert await run_all(redis, ("GET", "lane:1"), ("EXISTS", "lane:nothing")) == ["value-1", 0]


async def test_errors_are_redis_py_exceptions(redis: Redis) -> None:
    """An error reply fails its own call only, as the exception redis-py raises for it."""
    await redis.set("lane:text", "x")
    failing = run(redis, "INCR", "lane:text")
    fine = run(redis, "GET", "lane:text")
    results = await asyncio.gather(failing, fine, return_exceptions=True)
    assert isinstance(results[0], ResponseError)
    assert results[1] == "x"
    with pytest.raises(NoScriptError):
        await run(redis, "EVALSHA", "0" * 40, 0)
    # Sent together: each reply in its place, an error among them as its exception.
    together = await lane(redis).execute_many(
        [("GET", "lane:text"), ("INCR", "lane:text"), ("EXISTS", "lane:text")]
    )
    assert together[0] == "x" and isinstance(together[1], ResponseError) and together[2] == 1
    with pytest.raises(ResponseError):
        await run_all(redis, ("GET", "lane:text"), ("INCR", "lane:text"))


async def test_a_command_sent_behind_runs_in_order_and_its_failure_is_only_logged(
    redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """``run_behind`` returns before the reply; the command runs ahead of any sent later, and a
    failing one is logged (nobody waits to raise it to) without touching the others' replies."""
    await redis.set("lane:behind:text", "x")
    await run_behind(redis, "SET", "lane:behind", "first")
    await run_behind(redis, "INCR", "lane:behind:text")
    assert await run(redis, "GET", "lane:behind") == "first"
    assert await run(redis, "GET", "lane:behind:text") == "x"
    assert any("nobody waited for failed" in record.getMessage() for record in caplog.records)


async def test_scripts_reload_after_a_script_flush(redis: Redis) -> None:
    """A registered script called through the lane runs once even if Redis lost its scripts."""
    lease = register(redis, "livebuy.redis", "lease_acquire")
    await redis.set("lane:lease", "me", px=10_000)
    await redis.script_flush()
    assert await lease(keys=["lane:lease"], args=["me", 20_000]) == 1
    assert 10_000 < await redis.pttl("lane:lease") <= 20_000


async def test_a_cancelled_caller_does_not_shift_the_replies(redis: Redis) -> None:
    """The caller of a slow command goes away; the next caller still gets its own reply."""
    waiting = asyncio.ensure_future(run(redis, "BLPOP", "lane:never", 0.3))
    await asyncio.sleep(0.05)
    waiting.cancel()
    await redis.set("lane:after", "mine")
    assert await run(redis, "GET", "lane:after") == "mine"


async def test_a_lost_connection_fails_its_calls_and_the_next_call_reconnects(
    redis: Redis,
) -> None:
    """Calls waiting on a killed connection fail as an outage (ConnectionError); then it heals."""
    own_id = await run(redis, "CLIENT", "ID")
    waiting = asyncio.ensure_future(run(redis, "BLPOP", "lane:never", 5))
    await asyncio.sleep(0.05)
    await redis.client_kill_filter(_id=own_id)
    with pytest.raises(RedisConnectionError):
        await waiting
    assert await run(redis, "CLIENT", "ID") != own_id
    assert await run(redis, "PING") == "PONG"


async def test_redis_down_is_a_connection_error_and_a_restart_heals(tmp_path: Path) -> None:
    """No Redis: ConnectionError at once. Redis back (no scripts loaded): calls work again."""
    port = free_port()
    client = connect(f"redis://127.0.0.1:{port}/0")
    assert isinstance(client, LaneRedis)
    script = register(client, "livebuy.redis", "lease_acquire")
    with pytest.raises(RedisConnectionError):
        await run(client, "PING")
    process = start_server(port, tmp_path)
    try:
        wait_until(process, port, lambda probe: bool(probe.ping()), 10)
        assert await run(client, "PING") == "PONG"
        assert await script(keys=["lane:lease"], args=["me", 1000]) == 1
        terminate(process, timeout_s=10)
        with pytest.raises(RedisConnectionError):
            await run(client, "PING")
        process = start_server(port, tmp_path)
        wait_until(process, port, lambda probe: bool(probe.ping()), 10)
        assert await script(keys=["lane:lease"], args=["me", 1000]) == 1
    finally:
        await client.aclose()
        terminate(process, timeout_s=10)


async def test_password_and_database_of_the_url_are_used(tmp_path: Path) -> None:
    """The lane logs in and selects the URL's database, as redis-py's pool does."""
    port = free_port()
    process = start_server(port, tmp_path, "--requirepass", "s3cret")
    client = connect(f"redis://:s3cret@127.0.0.1:{port}/3")
    try:
        for _ in range(100):
            try:
                await run(client, "SET", "lane:db", "three")
                break
            except RedisConnectionError:
                await asyncio.sleep(0.1)
        assert await client.get("lane:db") == "three"
        assert await run(client, "DBSIZE") == 1
        assert lane(client) is not None
    finally:
        await client.aclose()
        terminate(process, timeout_s=10)


async def test_the_embedded_fixture_client_has_a_lane(redis_server: EmbeddedRedis) -> None:
    """``connect`` to a single Redis gives a lane; the binary (undecoded) client does not."""
    text, binary = connect(redis_server.url), connect(redis_server.url, decode=False)
    try:
        assert lane_of(text) is not None
        assert lane_of(binary) is None
    finally:
        await text.aclose()
        await binary.aclose()


async def test_the_slot_guard_sees_scripts_sent_through_the_lane(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cross-slot script call through the lane is caught, as one through redis-py's pool is
    (the suite's guard covers both); here as if livebuy's code had made it."""
    if slot_guard.MODE != "strict":
        pytest.skip("the slot guard is not strict in this run")
    monkeypatch.setattr(slot_guard, "_caller", lambda: "livebuy/commerce/example.py:1 (buy)")
    stock_hold = register(redis, "livebuy.commerce", "stock_hold")
    call: ScriptCall = (stock_hold, ["{a}x", "{b}y", "{c}z"], ["reserve", "[1]", '["p"]', 1])
    with pytest.raises(slot_guard.CrossSlotError):
        await run_together(redis, [call])
    assert slot_guard.violations.pop().step == "script stock_hold"
    # Several calls sent together (``Lane.execute_many``) are checked too.
    fine: ScriptCall = (stock_hold, ["{a}x", "{a}y", "{a}z"], ["reserve", "[1]", '["p"]', 1])
    with pytest.raises(slot_guard.CrossSlotError):
        await run_together(redis, [fine, call])
    assert slot_guard.violations.pop().step == "script stock_hold"


async def test_a_redis_that_stops_answering_fails_the_calls_then_heals(tmp_path: Path) -> None:
    """A stopped Redis (SIGSTOP) fails the waiting calls after the reply timeout instead of
    holding them forever; once it runs again the next call connects and works."""
    port = free_port()
    process = start_server(port, tmp_path)
    client = Lane(host="127.0.0.1", port=port, reply_timeout_s=0.5)
    try:
        wait_until(process, port, lambda probe: bool(probe.ping()), 10)
        assert await client.execute("PING") == "PONG"
        process.send_signal(signal.SIGSTOP)
        try:
            async with asyncio.timeout(5):
                with pytest.raises(RedisConnectionError, match="no reply"):
                    await client.execute("PING")
        finally:
            process.send_signal(signal.SIGCONT)
        assert await client.execute("PING") == "PONG"
    finally:
        await client.aclose()
        terminate(process, timeout_s=10)
