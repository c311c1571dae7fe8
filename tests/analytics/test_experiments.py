"""A/B tests of the product card: sticky, balanced assignment; the statistics; exact counts."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect

from livebuy.analytics.experiments import assign, assignment_hash
from livebuy.analytics.report import conversion
from livebuy.analytics.report_html import render
from livebuy.analytics.report_models import ShowReport
from livebuy.analytics.significance import sample_warnings, two_proportion_z_test, wilson_interval
from livebuy.errors import RunSheetError
from livebuy.shows.models import CardExperiment
from livebuy.shows.runsheet import parse_run_sheet
from tests.analytics.helpers import SHOW
from tests.analytics.test_report import report_until
from tests.analytics.test_sales import paid
from tests.chat.helpers import next_reply, send
from tests.commerce.helpers import PRODUCT, SKU, auth, session_tokens
from tests.servers import LiveServer, receive_json

MakeServer = Callable[..., Awaitable[LiveServer]]
TWO = CardExperiment.model_validate(
    {"id": "court-card", "product_id": PRODUCT, "variants": [{"name": "a"}, {"name": "b"}]}
)


def session_ids(count: int) -> list[str]:
    """``count`` synthetic session ids shaped like real ones (24 hex digits), reproducible."""
    rng = random.Random(17)
    return [rng.randbytes(12).hex() for _ in range(count)]


def test_assignment_is_sticky_and_balanced() -> None:
    """The same session always gets the same variant; 10 000 sessions split 50 % ± 2 %."""
    ids = session_ids(10_000)
    first = [assign(TWO, session).name for session in ids]
    assert [assign(TWO, session).name for session in ids] == first
    shares = Counter(first)
    assert set(shares) == {"a", "b"}
    for name in ("a", "b"):
        assert 0.48 <= shares[name] / len(ids) <= 0.52, shares
    # Another experiment splits the same sessions independently of this one.
    other = TWO.model_copy(update={"id": "other-test"})
    together = Counter((name, assign(other, s).name) for name, s in zip(first, ids, strict=True))
    assert all(0.23 <= count / len(ids) <= 0.27 for count in together.values()), together


def test_assignment_hash_known_values() -> None:
    """FNV-1a 32 + MurmurHash3's finaliser, as documented: the values the viewer page's
    JavaScript (experiments.js) gives for the same text under Node."""
    assert assignment_hash("court-card", "0123456789abcdef01234567") == 1569432902
    assert assignment_hash("", "") == 1210769405


def test_wilson_interval_known_values() -> None:
    """10 of 100: 5.52 %–17.44 % (Wilson 95 %); 0 of 10 starts at 0; no trials: undefined."""
    low, high = wilson_interval(10, 100) or (0.0, 0.0)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    low, high = wilson_interval(0, 10) or (1.0, 1.0)
    assert low == 0.0 and round(high, 4) == 0.2775
    assert wilson_interval(0, 0) is None


def test_two_proportion_z_test_known_values() -> None:
    """200/1000 vs 250/1000: z = 2.677, p = 0.00742 (the χ² test without continuity correction
    gives X² = 7.1685 = z², 1 df, p = 0.0074196); no variance or no trials: undefined."""
    z, p = two_proportion_z_test(200, 1000, 250, 1000) or (0.0, 1.0)
    assert round(z, 3) == 2.677 and round(z * z, 4) == 7.1685
    assert p == pytest.approx(0.0074196, abs=1e-7)
    z, p = two_proportion_z_test(250, 1000, 200, 1000) or (0.0, 1.0)
    assert round(z, 3) == -2.677 and p == pytest.approx(0.0074196, abs=1e-7)
    assert two_proportion_z_test(0, 50, 0, 60) is None
    assert two_proportion_z_test(1, 0, 1, 10) is None
    step = conversion(250, 1000, control=(200, 1000))
    assert step.rate == 0.25 and step.p_value == pytest.approx(0.0074196, abs=1e-7)


def test_minimum_sample_warnings() -> None:
    """Under 100 exposures in a variant, or under 10 expected conversions, the report warns."""
    assert sample_warnings("paid", [("a", 200, 1000), ("b", 250, 1000)]) == []
    small = sample_warnings("paid", [("a", 20, 99), ("b", 30, 150)])
    assert small == ["a: 99 exposures, fewer than 100"]
    rare = sample_warnings("paid", [("a", 2, 1000), ("b", 3, 1000)])
    assert len(rare) == 1 and "expected conversions" in rare[0]


async def test_report_counts_exposures_and_conversions_per_variant_exactly(
    make_server: MakeServer,
) -> None:
    """Sessions see the tested card, some add it to the bag, some pay: the report's A/B section
    has the exact counts per variant (the server's assignment, not the page's claim); anonymous
    sockets and sessions that never saw the card count in no variant."""
    server = await make_server()
    async with server.http() as client:
        show = (await client.get(f"/api/shows/{SHOW}")).json()["show"]
    (experiment,) = [CardExperiment.model_validate(e) for e in show["experiments"]]
    assert experiment.product_id == PRODUCT
    names = [variant.name for variant in experiment.variants]
    groups: dict[str, list[str]] = {name: [] for name in names}
    pool = await session_tokens(server, 16)
    while min(len(group) for group in groups.values()) < 3:
        fresh = pool.pop() if pool else (await session_tokens(server, 1))[0]
        group = groups[assign(experiment, fresh.partition(".")[0]).name]
        if len(group) < 3:
            group.append(fresh)
    (outsider,) = await session_tokens(server, 1)
    full, compact = (groups[name] for name in names)
    async with server.http() as client, contextlib.AsyncExitStack() as stack:
        pin = await server.post_cue(SHOW, {"kind": "pin", "product_id": PRODUCT})
        tokens: list[str | None] = [*full, *compact, None]
        sockets = [
            await stack.enter_async_context(
                connect(server.ws_url(SHOW, **({} if token is None else {"token": token})))
            )
            for token in tokens
        ]
        for token, ws in zip(tokens, sockets, strict=True):
            await receive_json(ws)
            if token is None:
                claim = names[0]
            elif token == full[2]:
                # The third session of the control claims the other variant: counted as assigned.
                claim = names[1]
            else:
                claim = assign(experiment, token.partition(".")[0]).name
            await send(ws, "card_seen", cue_id=pin["cue_id"], variant=claim)
            await send(ws, "card_seen", cue_id=pin["cue_id"])
            await send(ws, "ping")
            assert (await next_reply(ws))["type"] == "pong"
        line = {"quantity": 1, "show_id": SHOW}
        for token in [*full[:2], *compact[:2], outsider]:
            added = await client.put(f"/api/cart/items/{SKU}", json=line, headers=auth(token))
            assert added.status_code == 200, added.text
        for index, token in enumerate([full[0], *compact[:2], outsider]):
            await paid(client, token, f"ab{index}", sku=SKU, show_id=SHOW)

        def counted(body: dict[str, Any]) -> list[tuple[int, int, int, int]]:
            (row,) = body["experiments"]
            return [
                (v["exposures"], v["mismatched"], v["bagged"]["sessions"], v["paid"]["sessions"])
                for v in row["variants"]
            ]

        body = await report_until(
            client,
            lambda body: (
                sum(paid for *_, paid in counted(body)) == 3
                and next(s for s in body["funnel"] if s["step"] == "paid")["sessions"] == 4
            ),
        )
    assert counted(body) == [(3, 1, 2, 1), (3, 0, 2, 2)]
    (row,) = body["experiments"]
    control, variant = row["variants"]
    assert (row["experiment_id"], row["product_id"]) == (experiment.id, PRODUCT)
    assert control["bagged"]["rate"] == pytest.approx(2 / 3)
    assert control["paid"]["p_value"] is None and variant["paid"]["p_value"] is not None
    assert variant["paid"]["ci_low"] < 2 / 3 < variant["paid"]["ci_high"]
    assert any("fewer than 100" in warning for warning in row["warnings"])
    assert body["sections"][-1] == "experiments"
    page = render(ShowReport.model_validate(body))
    assert "A/B tests of the product card" in page and "Too small to read" in page


def test_run_sheet_experiments_are_validated_with_their_line() -> None:
    """An experiment on an unknown product, or a second one on the same product, is a run-sheet
    error naming its line; a valid one reaches the show's definition."""
    head = "id: ab\ntitle: A/B\ncues:\n  - {id: p, at: '00:01', kind: pin, product_id: shoe}\n"
    good = head + (
        "experiments:\n"
        "  - {id: t, product_id: shoe, variants: [{name: a}, {name: b, layout: compact}]}\n"
    )
    sheet = parse_run_sheet(good, "ab.yaml", {"shoe"})
    assert sheet.to_definition(0).experiments[0].variants[1].layout == "compact"
    with pytest.raises(RunSheetError, match=r"ab.yaml:6: experiments.0.product_id: unknown"):
        parse_run_sheet(
            good.replace("product_id: shoe, v", "product_id: hat, v"), "ab.yaml", {"shoe"}
        )
    twice = good + "  - {id: u, product_id: shoe, variants: [{name: a}, {name: b}]}\n"
    with pytest.raises(RunSheetError, match="one experiment per product"):
        parse_run_sheet(twice, "ab.yaml", {"shoe"})
    with pytest.raises(RunSheetError, match="variant names must be unique"):
        parse_run_sheet(good.replace("name: b,", "name: a,"), "ab.yaml", {"shoe"})
