"""The fairness benchmark: the same drop, first-come then lottery, for clients 0–500 ms away.

``python -m loadtest.fairness`` (or ``livebuy loadtest fairness``) starts Redis and a server on
127.0.0.1 (unless ``--host``), then for each mode: N signed-in clients watch the show over real
websockets, each with a simulated one-way network delay spread evenly over ``[0, max-delay]``
(it waits that long after every frame it receives and before every request it sends, and after
every answer), plus a few bots (no delay, tapping from just before the opening and retrying at
once). The producer opens the deal; clients tap when they see it. Reported per mode: win rate by
delay bucket, the bots' share, and a chi-square test of independence of winning and delay.

Every client sends its own ``X-Forwarded-For`` address (the started server trusts 127.0.0.1 as a
proxy), so per-IP caps treat them as the different people they stand for.

Exit status: 0 when every run sold each unit once with consistent stock; 1 when not; 2 when the
server refuses a mode (a lottery against a server without lottery drops).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from loadtest.fairness_stats import ClientOutcome, FairnessReport, fairness_report
from loadtest.local_server import local_server

MODES = ("first_come", "lottery")
DEAL_PRODUCT = "sable-coast-leather-biker"
# Bots start tapping this long before the producer opens the deal, then retry with this pause.
BOT_HEAD_START_S = 0.3
BOT_RETRY_PAUSE_S = 0.01
# First-come refusals that end a tap (anything else a bot retries).
FIRST_COME_FINAL = frozenset({"out_of_stock", "limit_exceeded"})
# Lottery refusals a bot retries: the window is not open yet, or its address is capped.
BOT_RETRIES = frozenset({"unknown_deal", "deal_not_active", "rate_limited", "not_found"})
# How often a client asks for its lottery result while the draw has not happened.
RESULT_POLL_S = 1.0
PENDING_RESULTS = frozenset({"entered", "not_entered"})
CONNECT_CONCURRENCY = 50
PING_INTERVAL_S = 5.0  # the web client's heartbeat
# Times a request answered 503 (Redis slow to answer under load) is sent again.
UNAVAILABLE_RETRIES = 3


class ModeRefusedError(Exception):
    """The server does not run this drop mode (it refused or ignored the cue's ``mode``)."""


@dataclass
class Client:
    """One simulated viewer: its session, its delay, what it saw and what it got."""

    index: int
    delay_s: float
    bot: bool
    token: str = ""
    ip: str = ""
    socket: ClientConnection | None = None
    deal: dict[str, Any] | None = None
    drawn: asyncio.Event = field(default_factory=asyncio.Event)
    seen_deal: asyncio.Event = field(default_factory=asyncio.Event)
    outcome: str = "no_tap"
    won: bool = False
    frame_lag_ms: float | None = None  # the deal_start frame: received − its ts (server send time)
    answer_ms: float | None = None  # the last request's round trip, without the simulated delay

    @property
    def headers(self) -> dict[str, str]:
        """The session and the address this client stands for."""
        return {"Authorization": f"Bearer {self.token}", "X-Forwarded-For": self.ip}


@dataclass(frozen=True)
class DropSetup:
    """One run's parameters."""

    mode: str
    show_id: str
    deal_id: str
    sku: str
    units: int
    entry_window_ms: int
    timeout_s: float


def spread_delays(clients: int, max_delay_ms: float, seed: int) -> list[float]:
    """``clients`` delays (s) spread evenly over ``[0, max_delay_ms]``: one per equal slice, at a
    random point of it, in a random order (so buckets hold equal numbers of clients)."""
    rng = random.Random(seed)
    delays = [(i + rng.random()) * max_delay_ms / clients / 1000 for i in range(clients)]
    rng.shuffle(delays)
    return delays


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One request, sent again once if its kept-alive connection turned out closed."""
    try:
        return await http.request(method, url, json=body, headers=headers)
    except (httpx.ReadError, httpx.RemoteProtocolError):
        # A kept-alive connection the server closed while idle (uvicorn: after 5 s) carried
        # nothing to it; a browser sends the request again on a new one.
        return await http.request(method, url, json=body, headers=headers)


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"http_{response.status_code}"


class Drop:
    """One mode's run against a server: sessions, sockets, the deal, the taps, the outcomes."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base: str,
        token: str,
        setup: DropSetup,
        clients: list[Client],
    ) -> None:
        self._http = http
        self._base = base
        self._producer = {"Authorization": f"Bearer {token}"}
        self.setup = setup
        self.clients = clients

    async def run(self) -> list[ClientOutcome]:
        """Sign everyone in, open the deal, wait for every tap's outcome."""
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
        readers: list[asyncio.Task[None]] = []
        taps: list[asyncio.Task[None]] = []
        try:
            await asyncio.gather(*(self._join(client, limit) for client in self.clients))
            readers = [asyncio.create_task(self._read(client)) for client in self.clients]
            readers.append(asyncio.create_task(self._heartbeat()))
            await self._restock()
            taps = [asyncio.create_task(self._play(client)) for client in self.clients]
            await asyncio.sleep(BOT_HEAD_START_S)
            await self._open_deal()
            done, _ = await asyncio.wait(taps, timeout=self.setup.timeout_s)
            for task in done:
                task.result()  # a ModeRefusedError seen by a tap ends the run
        finally:
            for task in [*taps, *readers]:
                task.cancel()
            await asyncio.gather(*taps, *readers, return_exceptions=True)
            # All at once: each close waits for the server's half of the closing handshake.
            sockets = [client.socket for client in self.clients if client.socket is not None]
            await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
        return [
            ClientOutcome(
                delay_ms=client.delay_s * 1000,
                bot=client.bot,
                won=client.won,
                outcome=client.outcome,
                frame_lag_ms=client.frame_lag_ms,
                answer_ms=client.answer_ms,
            )
            for client in self.clients
        ]

    async def _join(self, client: Client, limit: asyncio.Semaphore) -> None:
        async with limit:
            client.ip = (
                f"10.{client.index // 65536 % 256}.{client.index // 256 % 256}.{client.index % 256}"
            )
            response = await self._send("POST", "/api/sessions", {}, {"X-Forwarded-For": client.ip})
            response.raise_for_status()
            client.token = response.json()["token"]
            url = self._base.replace("http://", "ws://", 1)
            client.socket = await connect(
                f"{url}/ws/shows/{self.setup.show_id}?token={client.token}"
            )
            snapshot = json.loads(await client.socket.recv())
            if snapshot.get("type") != "snapshot":
                raise RuntimeError(f"first frame is not a snapshot: {snapshot}")

    async def _heartbeat(self) -> None:
        """Ping like the web client, so each socket counts as a viewer watching now (games that
        take entries may require it)."""
        while True:
            for client in self.clients:
                if client.socket is not None:
                    ping = {"type": "ping", "data": {"t": int(time.time() * 1000)}}
                    await client.socket.send(json.dumps(ping))
            await asyncio.sleep(PING_INTERVAL_S)

    async def _read(self, client: Client) -> None:
        """Deliver each frame ``delay`` after it arrived (a one-way network delay, in order)."""
        assert client.socket is not None
        async for raw in client.socket:
            arrived, arrived_wall_ms = time.monotonic(), time.time() * 1000
            # Only this deal's frames matter; most frames are skipped without parsing them.
            if self.setup.deal_id not in str(raw):
                continue
            frame = json.loads(raw)
            data = frame.get("data") or {}
            if data.get("deal_id") != self.setup.deal_id:
                continue
            await asyncio.sleep(max(arrived + client.delay_s - time.monotonic(), 0))
            kind = frame.get("type") if frame.get("type") != "cue" else data.get("kind")
            if kind == "deal_start":
                client.frame_lag_ms = arrived_wall_ms - float(frame.get("ts") or arrived_wall_ms)
                client.deal = data
                client.seen_deal.set()
            elif kind == "deal_drawn":
                client.drawn.set()

    async def _request(
        self, client: Client, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Send after the client's delay, hand the answer over after it again; a 503 (a backing
        service timed out) is sent again after its ``Retry-After``, as the web client does."""
        headers = client.headers
        if method == "POST" and path == "/api/orders":
            headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        for attempt in range(UNAVAILABLE_RETRIES + 1):
            await asyncio.sleep(client.delay_s)
            sent = time.monotonic()
            response = await self._send(method, path, body, headers)
            client.answer_ms = (time.monotonic() - sent) * 1000
            await asyncio.sleep(client.delay_s)
            if response.status_code != 503 or attempt == UNAVAILABLE_RETRIES:
                break
            await asyncio.sleep(float(response.headers.get("retry-after") or 1))
        return response

    async def _send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One request to the server (see ``send``)."""
        return await send(self._http, method, f"{self._base}{path}", body, headers)

    async def _restock(self) -> None:
        """At least the deal's units in stock, so the deal (not the stock) is the limit."""
        level = (await self._send("GET", f"/api/inventory/{self.setup.sku}")).json()
        missing = self.setup.units - int(level["available"])
        if missing > 0:
            response = await self._send(
                "POST",
                f"/api/inventory/{self.setup.sku}/restock",
                {"units": missing},
                self._producer,
            )
            response.raise_for_status()

    async def _open_deal(self) -> None:
        cue: dict[str, Any] = {
            "kind": "deal_start",
            "deal_id": self.setup.deal_id,
            "product_id": DEAL_PRODUCT,
            "deal_price": {"amount": 9900, "currency": "EUR"},
            "units": self.setup.units,
            "per_customer_limit": 1,
        }
        if self.setup.mode != "first_come":
            cue["mode"] = self.setup.mode
            cue["entry_window_ms"] = self.setup.entry_window_ms
        response = await self._send(
            "POST",
            f"/api/shows/{self.setup.show_id}/cues",
            {"id": self.setup.deal_id, "cue": cue},
            self._producer,
        )
        if response.status_code != 201:
            raise ModeRefusedError(
                f"the server refused a {self.setup.mode} deal_start cue:"
                f" {response.status_code} {response.text[:300]}"
            )

    async def _play(self, client: Client) -> None:
        """Tap as this client: bots from before the opening, the others when they see the deal."""
        if not client.bot:
            await client.seen_deal.wait()
        try:
            if self.setup.mode == "first_come":
                await self._order(client)
            else:
                await self._enter(client)
        except httpx.HTTPError as failure:
            client.outcome = f"client_error:{type(failure).__name__}"

    async def _order(self, client: Client) -> None:
        body = {
            "sku": self.setup.sku,
            "quantity": 1,
            "show_id": self.setup.show_id,
            "deal_id": self.setup.deal_id,
        }
        while True:
            response = await self._request(client, "POST", "/api/orders", body)
            if response.status_code == 201:
                client.outcome, client.won = "ordered", True
                return
            client.outcome = _error_code(response)
            if not client.bot or client.outcome in FIRST_COME_FINAL:
                return
            await asyncio.sleep(BOT_RETRY_PAUSE_S)

    async def _enter(self, client: Client) -> None:
        path = f"/api/shows/{self.setup.show_id}/deals/{self.setup.deal_id}/entries"
        give_up_at = time.monotonic() + self.setup.timeout_s
        while True:
            response = await self._request(client, "POST", path)
            if response.status_code in (200, 201):
                client.outcome = "entered"
                break
            client.outcome = _error_code(response)
            # A bot keeps trying until the window is open (or its cap lets it through again).
            if not client.bot or client.outcome not in BOT_RETRIES:
                return
            closes_at = float((client.deal or {}).get("entries_close_at") or "inf")
            if time.monotonic() > give_up_at or time.time() * 1000 > closes_at:
                return
            await asyncio.sleep(BOT_RETRY_PAUSE_S)
        if client.bot:
            await client.seen_deal.wait()
        deal = client.deal or {}
        if deal.get("mode") != "lottery" or "entries_close_at" not in deal:
            raise ModeRefusedError(
                "the server accepted the lottery cue but its deal_start frame has no"
                f" mode/entries_close_at: {json.dumps(deal)[:300]}"
            )
        await self._await_result(client, float(deal["entries_close_at"]), f"{path}/me")

    async def _await_result(self, client: Client, close_at_ms: float, path: str) -> None:
        """After the ``deal_drawn`` frame (or the close, if it is missed), ask for the result."""
        wait_s = max(close_at_ms / 1000 - time.time(), 0) + RESULT_POLL_S * 2
        try:
            await asyncio.wait_for(client.drawn.wait(), wait_s)
        except TimeoutError:
            pass
        while True:
            response = await self._request(client, "GET", path)
            status = str(response.json().get("status")) if response.status_code == 200 else None
            if status is None:
                client.outcome = _error_code(response)
                return
            # Until deal_drawn is out, a winner whose order is still being made reads as
            # waitlisted: only the frame says every winner's order exists.
            if status not in PENDING_RESULTS and (status != "waitlisted" or client.drawn.is_set()):
                client.outcome, client.won = status, status == "won"
                return
            client.outcome = status  # what the run reports if it times out first
            await asyncio.sleep(RESULT_POLL_S)


@dataclass(frozen=True)
class Integrity:
    """Whether the drop sold each unit once and the stock still adds up."""

    units_won: int
    units: int
    entrants: int
    stock_consistent: bool

    @property
    def holds(self) -> bool:
        """Every unit went to one winner (or every entrant won, when fewer than the units)."""
        return self.units_won == min(self.units, self.entrants) and self.stock_consistent


async def stock_consistent(http: httpx.AsyncClient, base: str, sku: str) -> bool:
    """The SKU's counters add up to what was stocked, none negative."""
    level = (await send(http, "GET", f"{base}/api/inventory/{sku}")).json()
    counters = [level[name] for name in ("available", "reserved", "sold")]
    return bool(min(counters) >= 0 and sum(counters) == level["initial"] + level["restocked"])


async def deal_sku(http: httpx.AsyncClient, base: str) -> str:
    """The deal product's first variant."""
    response = await send(http, "GET", f"{base}/api/catalog/products/{DEAL_PRODUCT}")
    response.raise_for_status()
    sku: str = response.json()["variants"][0]["sku"]
    return sku


@dataclass(frozen=True)
class ModeResult:
    """One mode's report and integrity check, or why it could not run."""

    mode: str
    report: FairnessReport | None = None
    integrity: Integrity | None = None
    refused: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "mode": self.mode,
            "report": self.report.as_dict() if self.report else None,
            "integrity": None
            if self.integrity is None
            else {**self.integrity.__dict__, "holds": self.integrity.holds},
            "refused": self.refused,
        }


async def run_mode(
    http: httpx.AsyncClient, base: str, token: str, args: argparse.Namespace, mode: str
) -> ModeResult:
    """Run one mode's drop with fresh clients and sessions."""
    delays = spread_delays(args.clients, args.max_delay_ms, args.seed)
    clients = [Client(i, delay, bot=False) for i, delay in enumerate(delays)]
    clients += [Client(args.clients + i, 0.0, bot=True) for i in range(args.bots)]
    sku = await deal_sku(http, base)
    setup = DropSetup(
        mode=mode,
        show_id=args.show,
        deal_id=f"fair-{mode.replace('_', '-')}-{secrets.token_hex(3)}",
        sku=sku,
        units=args.units,
        entry_window_ms=args.entry_window_ms,
        timeout_s=args.timeout,
    )
    try:
        outcomes = await Drop(http, base, token, setup, clients).run()
    except ModeRefusedError as refused:
        return ModeResult(mode=mode, refused=str(refused))
    report = fairness_report(mode, args.units, outcomes, args.max_delay_ms, args.buckets)
    entrants = sum(
        outcome.outcome in ("ordered", "out_of_stock", "won", "waitlisted", "lost")
        for outcome in outcomes
    )
    integrity = Integrity(
        units_won=report.units_won,
        units=args.units,
        entrants=entrants,
        stock_consistent=await stock_consistent(http, base, sku),
    )
    return ModeResult(mode=mode, report=report, integrity=integrity)


@asynccontextmanager
async def _target(args: argparse.Namespace) -> Any:
    """The server to measure: ``--host``, or one started here (trusting 127.0.0.1 as a proxy)."""
    if args.host:
        yield args.host.rstrip("/"), args.token
        return
    token = args.token or secrets.token_urlsafe(16)
    with local_server(token, env={"LIVEBUY_TRUSTED_PROXIES": '["127.0.0.1"]'}) as server:
        yield server.base_url, token


async def measure(args: argparse.Namespace) -> list[ModeResult]:
    """Every requested mode, one after the other, against one server."""
    total = args.clients + args.bots + 10
    limits = httpx.Limits(max_connections=total, max_keepalive_connections=total)
    results = []
    async with _target(args) as (base, token), httpx.AsyncClient(limits=limits, timeout=30) as http:
        for mode in args.modes:
            results.append(await run_mode(http, base, token, args, mode))
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="livebuy loadtest fairness", description=__doc__)
    parser.add_argument("--clients", type=int, default=400, help="ordinary clients")
    parser.add_argument("--units", type=int, default=60, help="units on sale")
    parser.add_argument("--bots", type=int, default=5, help="clients with no delay that retry")
    parser.add_argument("--max-delay-ms", type=float, default=500.0, help="one-way delay spread")
    parser.add_argument("--buckets", type=int, default=5, help="delay buckets in the table")
    parser.add_argument(
        "--modes", type=lambda raw: raw.split(","), default=list(MODES), help="first_come,lottery"
    )
    parser.add_argument(
        "--entry-window-ms",
        type=int,
        default=30_000,
        help="lottery: the entry window (long enough for a loaded server to take every entry)",
    )
    parser.add_argument("--seed", type=int, default=14, help="seed of the delays")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mode, at most")
    parser.add_argument("--show", default="spring-runway", help="show id")
    parser.add_argument("--host", help="measure this server (http://host:port) instead")
    parser.add_argument("--token", help="producer token of --host")
    parser.add_argument("--out", type=Path, help="write the reports as JSON here")
    args = parser.parse_args(argv)
    unknown = [mode for mode in args.modes if mode not in MODES]
    if unknown:
        parser.error(f"unknown mode {unknown[0]!r}: one of {', '.join(MODES)}")
    if args.clients < 1 or args.units < 1 or args.bots < 0 or args.buckets < 2:
        parser.error("need at least 1 client and 1 unit, 0 or more bots, 2 or more buckets")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print each mode's report; the exit status says whether every run held."""
    args = parse_args(argv)
    try:
        results = asyncio.run(measure(args))
    except (httpx.HTTPError, OSError, WebSocketException, RuntimeError) as failure:
        print(f"fairness: the run failed: {type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    status = 0
    for result in results:
        print()
        if result.refused is not None:
            print(f"mode {result.mode}: NOT RUN: {result.refused}")
            if result.mode == "lottery":
                print("(lottery drops need a server with the `drops` branch merged)")
            status = max(status, 2)
            continue
        assert result.report is not None and result.integrity is not None
        print(result.report.text())
        integrity = result.integrity
        print(
            f"integrity: {integrity.units_won} units won of {integrity.units}"
            f" ({integrity.entrants} tapped), stock"
            f" {'consistent' if integrity.stock_consistent else 'BROKEN'}"
            f" -> {'OK' if integrity.holds else 'BROKEN'}"
        )
        if not integrity.holds:
            status = 1 if status == 0 else status
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps([result.as_dict() for result in results], indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
