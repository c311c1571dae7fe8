"""The report's pure parts: attribution, every figure from known inputs, the SVG and HTML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from typing import Any

from livebuy.analytics.attribution import NO_CUE, on_air
from livebuy.analytics.report import REPORT_SECTIONS, ReportInputs, StreamEntry, build_report
from livebuy.analytics.report_html import SECTION_RENDERERS, render
from livebuy.analytics.svg import bar_chart, line_chart, nice_max

MINUTE = 60_000
T0 = 1_800_000_000_000 - 1_800_000_000_000 % MINUTE


def pin(cue_id: str, at: int) -> str:
    """A pin's state value."""
    return json.dumps({"product_id": "p", "cue_id": cue_id, "at": at})


def test_the_latest_pin_or_deal_on_air_at_the_action_gets_the_credit() -> None:
    """Latest start wins; a deal beats a pin of the same moment; later cues and no cue."""
    deal = json.dumps({"deal_id": "d", "started_at": 200})
    fields = {"pin:a": pin("look1", 100), "pin:b": pin("look2", 200), "deal:d": deal}
    assert on_air(fields, 150) == "look1"
    assert on_air(fields, 250) == "deal:d"
    assert on_air({"pin:b": pin("look2", 200), "announcement": "{}"}, 250) == "look2"
    assert on_air(fields, 50) == NO_CUE
    assert on_air({"pin:x": "not json"}, 250) == NO_CUE


def entry(seq: int, event_type: str, at: int, **data: Any) -> StreamEntry:
    """A stream entry."""
    return StreamEntry(seq=seq, type=event_type, at=at, data=data)


def inputs(**overrides: Any) -> ReportInputs:
    """A recorded show: two minutes, a pin, a deal that sold out in 30 s, a poll and a rain."""
    events = [
        entry(1, "cue", T0 + 1000, kind="pin", cue_id="look1", product_id="dress"),
        entry(
            2,
            "cue",
            T0 + MINUTE,
            kind="deal_start",
            cue_id="deal1",
            deal_id="d1",
            product_id="dress",
            deal_price={"amount": 5000, "currency": "EUR"},
            units=2,
        ),
        entry(3, "stock", T0 + MINUTE + 10_000, deals=[{"deal_id": "d1", "units_left": 1}]),
        entry(4, "stock", T0 + MINUTE + 30_000, deals=[{"deal_id": "d1", "units_left": 0}]),
        entry(5, "poll_results", T0 + 5000, poll_id="q", kind="poll", total=7, counts=[4, 3]),
        entry(
            6,
            "poll_results",
            T0 + 9000,
            poll_id="q",
            kind="poll",
            total=9,
            counts=[5, 4],
            final=True,
            opened_at=T0 + 2000,
        ),
        entry(
            7,
            "red_packets_update",
            T0 + 9500,
            rain_id="r",
            count=10,
            granted=6,
            granted_amount=600,
            currency="EUR",
            final=True,
            ends_at=T0 + 9500,
        ),
    ]
    values: dict[str, Any] = {
        "show_id": "s",
        "title": "Show <&>",
        "now": T0 + 3 * MINUTE,
        "events": events,
        "viewers_per_minute": {T0: 10, T0 + MINUTE: 20},
        "chat_per_minute": {T0: 5},
        "reactions_per_minute": {T0 + MINUTE: 8},
        "sales": {
            "units:dress": "3",
            "orders:dress": "2",
            "revenue:dress": "15000",
            "currency:dress": "EUR",
            "orders": "2",
        },
        "names": {"dress": "Silk Dress"},
        "product_funnel": {"dress": (12, 4)},
        "watchers": 25,
        "steps": {"shown": 12, "opened": 6, "bagged": 4, "checkout": 3, "paid": 2},
        "carts": 5,
        "bagged_or_checkout": 5,
        "cue_steps": {"look1": {"shown": 12, "paid": 1}, "deal:d1": {"paid": 1}},
        "counts": {
            "look1|paid_orders": "1",
            "look1|paid_units": "1",
            "look1|revenue:EUR": "10000",
            "deal:d1|paid_orders": "1",
            "deal:d1|abandoned_orders": "1",
            "deal_sales:d1|paid_orders": "1",
            "deal_sales:d1|paid_units": "2",
            "deal_sales:d1|revenue:EUR": "10000",
        },
    }
    values.update(overrides)
    return ReportInputs(**values)


def test_every_figure_follows_its_formula() -> None:
    """Peak, watch time, drop-offs, abandonment, AOV, per cue, sell-out and games as defined."""
    report = build_report(inputs())
    assert (report.viewers.peak, report.viewers.peak_minute) == (20, T0 + MINUTE)
    assert (report.viewers.viewer_minutes, report.viewers.average_watch_minutes) == (30, 1.2)
    assert [point.value for point in report.chat_per_minute] == [5, 0]
    assert (report.chat_total, report.reactions_total) == (5, 8)
    assert [(step.step, step.sessions) for step in report.funnel][:2] == [
        ("viewers", 25),
        ("shown", 12),
    ]
    assert report.funnel[1].drop_off == 1 - 12 / 25 and report.funnel[0].drop_off is None
    assert (report.abandonment.abandoned_carts, report.abandonment.rate) == (3, 0.6)
    assert report.abandonment.abandoned_orders == 1
    assert report.sales.average_order_value[0].amount == 7500
    look1, deal = report.cues
    assert (look1.key, look1.viewers_at_cue, look1.conversion) == ("look1", 10, 0.1)
    assert look1.revenue[0].amount == 10000 and look1.label == "Silk Dress"
    assert (deal.key, deal.kind, deal.viewers_at_cue, deal.abandoned_orders) == (
        "deal:d1",
        "deal",
        20,
        1,
    )
    (row,) = report.deals
    assert (row.sell_out_ms, row.units_sold, row.revenue[0].amount) == ([30_000], 2, 10000)
    assert [(game.kind, game.participants, game.at) for game in report.games] == [
        ("poll", 9, T0 + 2000),
        ("red_packets", 6, T0 + 9500),
    ]


def test_an_empty_show_reports_zeros_not_errors() -> None:
    """No data: zeros and undefined ratios (None), and the page still renders."""
    empty = inputs(
        events=[],
        viewers_per_minute={},
        chat_per_minute={},
        reactions_per_minute={},
        sales={},
        product_funnel={},
        watchers=0,
        steps={},
        carts=0,
        bagged_or_checkout=0,
        cue_steps={},
        counts={},
    )
    report = build_report(empty)
    assert report.viewers.average_watch_minutes == 0.0 and report.abandonment.rate is None
    assert report.first_at is None and report.sales.average_order_value == []
    assert "Nothing to show" in render(report)


def test_the_page_draws_every_section_with_valid_svg() -> None:
    """Every listed section has a renderer, in order; text is escaped; each chart parses as XML."""
    assert set(REPORT_SECTIONS) == set(SECTION_RENDERERS)
    page = render(build_report(inputs()))
    positions = [page.index(f'<section id="{section}">') for section in REPORT_SECTIONS]
    assert positions == sorted(positions)
    assert "Show &lt;&amp;&gt;" in page and "<script" not in page
    charts = [chunk.split("</svg>")[0] for chunk in page.split("<svg")[1:]]
    assert len(charts) == 4
    for chart in charts:
        ElementTree.fromstring(f"<svg{chart}</svg>")
    for figure in ("1.2 min", "60.0 %", "EUR 150.00", "EUR 75.00", "30 s", "poll q"):
        assert figure in page, figure
    for chart in (line_chart([], title="none"), bar_chart([], title="none")):
        assert "no data" in ElementTree.tostring(ElementTree.fromstring(chart), encoding="unicode")
    assert [nice_max(value) for value in (0, 3, 7, 12, 100)] == [1, 5, 10, 20, 100]
