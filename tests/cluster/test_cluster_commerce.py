"""Commerce on a real three-master Redis Cluster: a flash-deal and cart storm through a real
server, with orders whose customers, stock and deal live on different masters; the hypothesis
stateful commerce machines of tests/commerce on the cluster; and the cluster client's first burst.

One module, so one pytest-xdist worker starts the session's cluster for all of them.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import orjson
import pytest
import redis as sync_redis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from redis.asyncio import Redis

from catalog.demo import load_demo_catalog
from catalog.loader import load_catalog
from livebuy.clock import now_ms
from livebuy.commerce.models import OrderRequest
from livebuy.commerce.order_scripts import SYNC_GRACE_MS
from livebuy.commerce.services import Commerce
from livebuy.commerce.sweeper import sync_once
from livebuy.events.stream import ShowStream
from livebuy.faults import Faults
from livebuy.redis import keys
from livebuy.redis.connection import connect
from livebuy.services import catalog_store
from livebuy.sessions.service import SessionService
from tests.cluster_fixture import EmbeddedCluster
from tests.commerce.helpers import SHOW, SKU, auth, card, many_sessions, start_deal, stock
from tests.commerce.test_inventory_stateful import InventoryMachine
from tests.commerce.test_payments_stateful import PaymentsMachine
from tests.servers import TIMEOUT_S, LiveServer, ProcessServer, settings_for_tests

MASTERS = 3
DEAL = "cluster-storm"
DEAL_UNITS = 40
DEAL_BUYERS = 150
CART_BUYERS = 90
# 5, 5 and 20 units in the demo catalog; their stock keys sit on the three different masters.
SCARCE = ["SBC-BIKR-S", "SBC-BIKR-M", "CSL-TOTE-TAN-L"]
CARTS = [SCARCE[:2], [SCARCE[0], SCARCE[2]], SCARCE[1:], SCARCE]
# Of each kind of buyer, this many send their order twice at once with the same key.
DUPLICATED = 30
# Deal buyers who then try a second unit with a new key (the deal allows one per customer).
GREEDY = 20
CONCURRENCY = 60
REFUSALS = {"out_of_stock", "limit_exceeded"}
# A buyer's requests, sent on a worker's client.
Buyer = Callable[[httpx.AsyncClient, "Answer", int], Awaitable[None]]


@dataclass
class Answer:
    """One buyer's requests: each order request's (key, status, body), and its pay's status."""

    token: str
    orders: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    pay_status: int | None = None


@pytest.fixture
async def server(redis_cluster: EmbeddedCluster) -> AsyncIterator[LiveServer]:
    """``livebuy serve`` as its own process on the flushed cluster (the HTTP clients keep this
    process's core busy; the server gets the other)."""
    redis_cluster.flush()
    started = ProcessServer(
        settings_for_tests(redis_cluster=True, push_stock=False), redis_cluster.url
    )
    await started.start()
    yield started
    await started.stop()


async def _post_order(client: httpx.AsyncClient, answer: Answer, key: str, body: Any) -> None:
    response = await client.post("/api/orders", json=body, headers=auth(answer.token, key))
    answer.orders.append((key, response.status_code, response.json()))


async def _deal_buyer(client: httpx.AsyncClient, answer: Answer, index: int) -> None:
    body = {"sku": SKU, "show_id": SHOW, "deal_id": DEAL}
    copies = 2 if index < DUPLICATED else 1
    await asyncio.gather(*(_post_order(client, answer, "deal-1", body) for _ in range(copies)))
    if index >= DEAL_BUYERS - GREEDY:
        await _post_order(client, answer, "deal-2", body)


async def _cart_buyer(client: httpx.AsyncClient, answer: Answer, index: int) -> None:
    """Check out a cart whose lines' stock lives on two or three masters, and pay it."""
    copies = 2 if index < DUPLICATED else 1
    body = {"from_cart": True}
    await asyncio.gather(*(_post_order(client, answer, "cart-1", body) for _ in range(copies)))
    made = [reply["id"] for _, status, reply in answer.orders if status == 201]
    if made:
        response = await client.post(
            f"/api/orders/{made[0]}/pay", json=card(), headers=auth(answer.token)
        )
        answer.pay_status = response.status_code


async def _fill_carts(server: LiveServer, redis: Redis, tokens: list[str]) -> None:
    """Put each cart buyer's lines in its cart with the cart service (the race is the checkout)."""
    sessions = SessionService.from_settings(redis, server.settings)
    stream = ShowStream(redis, 1000)
    commerce = Commerce.build(redis, catalog_store(redis), stream, server.settings)
    for index, token in enumerate(tokens):
        customer = (await sessions.authenticate(token)).session_id
        for sku in CARTS[index % len(CARTS)]:
            await commerce.cart.put(customer, sku, 1)


async def _storm(
    server: LiveServer,
    buyers: Sequence[tuple[Answer, Buyer, int]],
) -> None:
    """Run every buyer from CONCURRENCY workers at once, each with its own small client.

    One httpx pool for every worker spends its CPU scanning its connections on each request;
    a client per worker is cheap once it skips loading the CA bundle (plain HTTP needs none).
    """
    todo = iter(buyers)

    async def worker() -> None:
        # Two connections: a duplicated request's copies go out together.
        async with httpx.AsyncClient(
            base_url=server.base_url,
            limits=httpx.Limits(max_connections=2),
            timeout=TIMEOUT_S * 2,
            verify=False,
        ) as client:
            for answer, buyer, index in todo:
                await buyer(client, answer, index)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _orders(redis: Redis) -> list[dict[str, str]]:
    found = []
    async for key in redis.scan_iter(match=keys.order_pattern()):
        found.append(cast(dict[str, str], await redis.hgetall(key)))
    return found


def _master(cluster: EmbeddedCluster, sku: str) -> int:
    return cluster.master_of(keys.inventory(sku))


def _lines(order: dict[str, str]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], orjson.loads(order["lines"]))


async def test_storm_over_three_masters_never_oversells(
    server: LiveServer, redis_cluster: EmbeddedCluster, cluster_client: Redis
) -> None:
    """300 buyers spread over all three masters race for a 40-unit deal and for three scarce
    SKUs in multi-line carts (stock on three masters), some with a duplicated Idempotency-Key:
    no oversell, every unit accounted for by an order, every replay the same order, no 500."""
    stock_masters = {redis_cluster.master_of(keys.inventory(sku)) for sku in SCARCE}
    assert len(stock_masters) == MASTERS

    tokens = await many_sessions(server, cluster_client, DEAL_BUYERS + CART_BUYERS)
    await _fill_carts(server, cluster_client, tokens[DEAL_BUYERS:])
    await start_deal(server, DEAL, units=DEAL_UNITS, limit=1)
    before = {sku: await stock(cluster_client, sku) for sku in [SKU, *SCARCE]}
    answers = [Answer(token) for token in tokens]
    deal_buyers = [(answers[i], _deal_buyer, i) for i in range(DEAL_BUYERS)]
    cart_buyers = [(answers[DEAL_BUYERS + i], _cart_buyer, i) for i in range(CART_BUYERS)]
    # Interleaved, so the deal's show slot and the carts' stock slots are hit at the same time.
    buyers = [buyer for pair in zip(deal_buyers, cart_buyers, strict=False) for buyer in pair]
    await _storm(server, buyers + deal_buyers[CART_BUYERS:])

    # Every answer is an order (201, or 200 for a replay) or a stated refusal: never a 500.
    statuses = Counter(status for answer in answers for _, status, _ in answer.orders)
    assert set(statuses) <= {200, 201, 409}, statuses
    codes = Counter(
        reply["error"]["code"]
        for answer in answers
        for _, status, reply in answer.orders
        if status == 409
    )
    assert set(codes) <= REFUSALS, codes
    assert {answer.pay_status for answer in answers} <= {None, 200}
    # One key made at most one order, and both copies of a duplicated request that got an
    # order got that same order.
    made: dict[tuple[str, str], str] = {}
    for answer in answers:
        by_key: dict[str, set[str]] = defaultdict(set)
        for key, status, reply in answer.orders:
            if status in (200, 201):
                by_key[key].add(reply["id"])
        for key, ids in by_key.items():
            assert len(ids) == 1, (answer.token, key, ids)
            made[(answer.token, key)] = ids.pop()

    orders = await _orders(cluster_client)
    assert {order["id"] for order in orders} == set(made.values())
    assert {order["status"] for order in orders} <= {"pending_payment", "paid"}
    # The customers' slots (where each order lives) cover all three masters.
    assert len({redis_cluster.master_of(keys.order(order["id"])) for order in orders}) == MASTERS
    deal_orders = [order for order in orders if order["deal_id"] == DEAL]
    assert len(deal_orders) == DEAL_UNITS
    assert len({order["customer"] for order in deal_orders}) == DEAL_UNITS
    raw_deal = await cluster_client.hget(keys.show_state(SHOW), f"deal:{DEAL}")
    assert raw_deal is not None
    counters = keys.deal_counters(SHOW, DEAL, orjson.loads(raw_deal)["started_at"])
    assert int(await cluster_client.hget(counters, "taken") or 0) == DEAL_UNITS
    cart_orders = [order for order in orders if not order["deal_id"]]
    assert cart_orders and all(order["status"] == "paid" for order in cart_orders)
    # Some paid carts hold stock on more than one master.
    assert any(len({_master(redis_cluster, line["sku"]) for line in _lines(o)}) > 1 for o in orders)

    # Per SKU: nothing negative, nothing created or lost, and the units reserved and sold are
    # exactly the lines of the pending and paid orders.
    reserved: Counter[str] = Counter()
    sold: Counter[str] = Counter()
    for order in orders:
        for line in _lines(order):
            held = sold if order["status"] == "paid" else reserved
            held[line["sku"]] += int(line["quantity"])
    for sku, first in before.items():
        now = await stock(cluster_client, sku)
        assert min(now.values()) >= 0, (sku, now)
        held_or_sold = now["available"] + now["reserved"] + now["sold"]
        assert held_or_sold == first["available"] + first["reserved"] + first["sold"], now
        assert held_or_sold == now["initial"] + now["restocked"], now
        assert (now["reserved"] - first["reserved"], now["sold"]) == (reserved[sku], sold[sku])
    # Every order's holds agree with its status: nothing is left for the sync sweep.
    for bucket in keys.order_buckets():
        assert await cluster_client.zcard(keys.orders_sync(bucket)) == 0

    # A retry of every request that made an order, once the race is over: the same order.
    bodies = {
        "deal-1": {"sku": SKU, "show_id": SHOW, "deal_id": DEAL},
        "deal-2": {"sku": SKU, "show_id": SHOW, "deal_id": DEAL},
        "cart-1": {"from_cart": True},
    }
    async with server.http() as client:
        for (token, key), order_id in made.items():
            again = await client.post("/api/orders", json=bodies[key], headers=auth(token, key))
            assert (again.status_code, again.json().get("id")) == (200, order_id), again.text


class Crash(Exception):
    """Stands for the process dying at the fault point: nothing after it runs."""


def _crash() -> None:
    raise Crash


async def test_crash_mid_create_across_masters_is_undone_by_the_sweep(
    redis_cluster: EmbeddedCluster, cluster_client: Redis
) -> None:
    """A cart over three masters whose request died between its holds and its confirm: its
    units stay out of sale until the sync sweep gives the order up, then come back once on every
    master, and the key makes a new order."""
    assert len({_master(redis_cluster, sku) for sku in SCARCE}) == MASTERS
    redis_cluster.flush()
    await load_catalog(cluster_client, load_demo_catalog())
    faults = Faults(crash=_crash)
    commerce = Commerce.build(
        cluster_client,
        catalog_store(cluster_client),
        ShowStream(cluster_client, 1000),
        settings_for_tests(),
        faults=faults,
    )
    for sku in SCARCE:
        await commerce.cart.put("ann", sku, 1)
    before = {sku: await stock(cluster_client, sku) for sku in SCARCE}
    faults.armed.add("create:after_reserve")
    with pytest.raises(Crash):
        await commerce.orders.create("ann", "k1", OrderRequest(from_cart=True))
    faults.armed.clear()
    for sku, first in before.items():
        held = await stock(cluster_client, sku)
        assert (held["available"], held["reserved"]) == (first["available"] - 1, 1), held
    later = now_ms() + SYNC_GRACE_MS + 1
    for _ in range(2):  # a second sweep (another process) changes nothing more
        await sync_once(commerce.orders, later)
        assert {sku: await stock(cluster_client, sku) for sku in SCARCE} == before
    order, created = await commerce.orders.create("ann", "k1", OrderRequest(from_cart=True))
    assert created and order.status == "pending_payment" and len(order.lines) == len(SCARCE)


class ClusterInventoryMachine(InventoryMachine):
    """``InventoryMachine`` on a Redis Cluster."""

    cluster = True


class ClusterPaymentsMachine(PaymentsMachine):
    """``PaymentsMachine`` on a Redis Cluster."""

    cluster = True


def _few(examples: int, steps: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def test_inventory_invariant_holds_on_a_cluster(redis_cluster: EmbeddedCluster) -> None:
    """On a cluster, after every step: each SKU's counters add up and match the orders, and
    neither deal (first-come, or lottery) has more units taken than it offers."""
    redis_cluster.flush()
    ClusterInventoryMachine.redis_url = redis_cluster.url
    run_state_machine_as_test(ClusterInventoryMachine, settings=_few(3, 25))


def test_payments_stay_consistent_on_a_cluster(redis_cluster: EmbeddedCluster) -> None:
    """On a cluster, after every step and once settled: paid ⇔ charged once, released ⇔
    refunded once, whatever crashed where."""
    redis_cluster.flush()
    ClusterPaymentsMachine.redis_url = redis_cluster.url
    run_state_machine_as_test(ClusterPaymentsMachine, settings=_few(3, 25))


def _moved_errors(cluster: EmbeddedCluster) -> int:
    """MOVED replies every node has sent since its stats were last reset."""
    total = 0
    for port in cluster.ports:
        client = sync_redis.Redis(port=port, decode_responses=True)
        try:
            stats = client.info("errorstats")
        finally:
            client.close()
        total += int(stats.get("errorstat_MOVED", {}).get("count", 0))
    return total


def _reset_stats(cluster: EmbeddedCluster) -> None:
    for port in cluster.ports:
        client = sync_redis.Redis(port=port)
        try:
            client.config_resetstat()
        finally:
            client.close()


async def test_fresh_client_sends_each_script_to_its_keys_master(
    redis_cluster: EmbeddedCluster,
) -> None:
    """A process's first commands are a concurrent burst of script calls (the catalog load at
    start-up): each goes to its key's master, none is redirected with MOVED (redis-py sent them
    all to one node before it knew the slots, then closed every connection in use after a few
    MOVED, and the start-up failed with 'Connection closed')."""
    _reset_stats(redis_cluster)
    client = connect(redis_cluster.url, cluster=True)
    try:
        await load_catalog(client, load_demo_catalog())
    finally:
        await client.aclose()
    assert _moved_errors(redis_cluster) == 0
