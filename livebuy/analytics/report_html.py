"""The post-show report as one self-contained HTML page: inline CSS and SVG, no scripts.

``render(report)`` draws the sections ``report.sections`` lists, in order, each with its
renderer in ``SECTION_RENDERERS`` (a new section is a new entry there and in
``report.REPORT_SECTIONS``). Readable offline and printable (A4, charts kept whole).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from catalog.models import Money
from livebuy.analytics.report_models import Conversion, ShowReport
from livebuy.analytics.svg import bar_chart, clock, line_chart

STYLE = """
body{font-family:system-ui,sans-serif;color:#111827;margin:2rem auto;max-width:860px;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid
#e5e7eb;padding-bottom:.3rem}.meta{color:#4b5563;margin-top:0}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.6rem}
.kpi{border:1px solid #e5e7eb;border-radius:8px;padding:.6rem .8rem}
.kpi b{display:block;font-size:1.25rem;white-space:nowrap}.kpi span{color:#4b5563;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.6rem 0}
th,td{text-align:right;padding:.25rem .4rem;border-bottom:1px solid #f3f4f6;white-space:nowrap}
th:first-child,td:first-child{white-space:normal}th.text,td.text{text-align:left}
th:first-child,td:first-child{text-align:left}th{color:#374151;font-weight:600}
svg{max-width:100%;height:auto;display:block;margin:.6rem 0}
.note{color:#4b5563;font-size:.8rem}.warning{color:#92400e}
h3{font-size:1rem;margin:1rem 0 .2rem}
@media print{body{margin:0;max-width:none}section,svg,table{break-inside:avoid}}
"""


def money(amounts: list[Money]) -> str:
    """``EUR 1,234.00`` per currency, joined; ``—`` for none."""
    if not amounts:
        return "—"
    return " + ".join(f"{item.currency} {item.amount / 100:,.2f}" for item in amounts)


def percent(value: float | None) -> str:
    """``42.0 %``, or ``—`` when undefined."""
    return "—" if value is None else f"{value * 100:.1f} %"


def duration(ms: int | None) -> str:
    """``1 min 05 s`` / ``42 s``; ``not sold out`` for ``None``."""
    if ms is None:
        return "not sold out"
    seconds = round(ms / 1000)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _kpis(items: list[tuple[str, str]]) -> str:
    cells = "".join(
        f'<div class="kpi"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for k, v in items
    )
    return f'<div class="kpis">{cells}</div>'


def _table(head: list[str], rows: list[list[str]], text_columns: tuple[int, ...] = ()) -> str:
    if not rows:
        return '<p class="note">Nothing to show.</p>'

    def cell(tag: str, index: int, text: str) -> str:
        left = ' class="text"' if index in text_columns else ""
        return f"<{tag}{left}>{escape(text)}</{tag}>"

    header = "".join(cell("th", index, text) for index, text in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", index, text) for index, text in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _viewers(report: ShowReport) -> str:
    viewers = report.viewers
    peak_at = f" at {clock(viewers.peak_minute)}" if viewers.peak_minute is not None else ""
    points = [(point.minute, point.value) for point in viewers.per_minute]
    return _kpis(
        [
            ("unique viewers", str(viewers.unique)),
            ("peak viewers" + peak_at, str(viewers.peak)),
            ("viewer-minutes", str(viewers.viewer_minutes)),
            ("average watch time", f"{viewers.average_watch_minutes:.1f} min"),
        ]
    ) + line_chart([("peak viewers per minute", points)], title="Viewers over time")


def _chat(report: ShowReport) -> str:
    chat = [(point.minute, point.value) for point in report.chat_per_minute]
    reactions = [(point.minute, point.value) for point in report.reactions_per_minute]
    return _kpis(
        [("chat messages", str(report.chat_total)), ("reactions", str(report.reactions_total))]
    ) + line_chart(
        [("chat per minute", chat), ("reactions per minute", reactions)],
        title="Chat and reactions per minute",
    )


def _funnel(report: ShowReport) -> str:
    bars = [
        (step.label, float(step.sessions), f"{step.sessions}  ({percent(step.of_previous)})")
        for step in report.funnel
    ]
    rows = [
        [step.label, str(step.sessions), percent(step.of_previous), percent(step.drop_off)]
        for step in report.funnel
    ]
    lost = report.abandonment
    return (
        bar_chart(bars, title="The show's funnel (sessions per step)")
        + _table(["Step", "Sessions", "Of previous step", "Drop-off"], rows)
        + _kpis(
            [
                ("cart abandonment rate", percent(lost.rate)),
                ("carts (sessions)", str(lost.carts)),
                ("abandoned carts", str(lost.abandoned_carts)),
                ("abandoned orders", str(lost.abandoned_orders)),
                ("bags without an order", str(lost.bags_without_order)),
            ]
        )
    )


def _cues(report: ShowReport) -> str:
    rows = [
        [
            f"{cue.label} · {cue.key}" if cue.kind == "pin" else cue.label,
            f"{clock(cue.first_at)} ×{cue.airings}" if cue.first_at is not None else "—",
            str(cue.viewers_at_cue),
            str(cue.shown),
            str(cue.opened),
            str(cue.bagged),
            str(cue.paid),
            money(cue.revenue),
            percent(cue.conversion),
        ]
        for cue in report.cues
    ]
    head = ["Cue", "On air", "Viewers", "Card", "Sheet", "Bag", "Paid", "Revenue", "Conv."]
    return _table(head, rows) + (
        '<p class="note">Sessions per step while the cue was on air; paid and revenue are '
        "credited to the cue on air at checkout. Conversion: paid sessions / viewers at the "
        "cue.</p>"
    )


def _sales(report: ShowReport) -> str:
    sales = report.sales
    bars = [
        (row.name, float(row.revenue.amount), money([row.revenue]))
        for row in report.products
        if row.revenue is not None
    ]
    rows = [
        [
            row.name,
            str(row.cards_shown),
            str(row.added_to_bag),
            str(row.units),
            str(row.orders),
            money([row.revenue] if row.revenue else []),
        ]
        for row in report.products
    ]
    return (
        _kpis(
            [
                ("revenue", money(sales.revenue)),
                ("paid orders", str(sales.orders)),
                ("units sold", str(sales.units)),
                ("average order value", money(sales.average_order_value)),
            ]
        )
        + bar_chart(bars, title="Revenue per product")
        + _table(["Product", "Cards shown", "Added to bag", "Units", "Orders", "Revenue"], rows)
    )


def _deals(report: ShowReport) -> str:
    rows = [
        [
            f"{deal.deal_id}: {deal.name}",
            money([deal.deal_price]),
            str(deal.units),
            str(deal.runs),
            ", ".join(duration(ms) for ms in deal.sell_out_ms),
            str(deal.units_sold),
            money(deal.revenue),
        ]
        for deal in report.deals
    ]
    head = ["Deal", "Price", "Units", "Runs", "Sell-out time per run", "Sold", "Revenue"]
    return _table(head, rows)


def _games(report: ShowReport) -> str:
    rows = [
        [f"{game.kind} {game.game_id}", clock(game.at), str(game.participants), game.detail]
        for game in report.games
    ]
    return _table(["Game", "At", "Took part", "Outcome"], rows, text_columns=(3,))


def _rate(step: Conversion) -> str:
    """``12.5 % (8.1–18.3 %)``: the rate and its Wilson 95 % interval."""
    if step.rate is None or step.ci_low is None or step.ci_high is None:
        return "—"
    return f"{step.rate * 100:.1f} % ({step.ci_low * 100:.1f}–{step.ci_high * 100:.1f} %)"


def p_value(value: float | None) -> str:
    """``p = 0.032``, ``p < 0.001``; ``—`` for the control or an undefined test."""
    if value is None:
        return "—"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _experiments(report: ShowReport) -> str:
    if not report.experiments:
        return '<p class="note">This show ran no A/B test.</p>'
    parts = []
    for experiment in report.experiments:
        rows = [
            [
                f"{variant.name}{' (control)' if index == 0 else ''}: {variant.layout} card, "
                + ("'N bought' shown" if variant.show_bought_count else "'N bought' hidden"),
                str(variant.exposures),
                str(variant.bagged.sessions),
                _rate(variant.bagged),
                p_value(variant.bagged.p_value),
                str(variant.paid.sessions),
                _rate(variant.paid),
                p_value(variant.paid.p_value),
            ]
            for index, variant in enumerate(experiment.variants)
        ]
        head = ["Variant", "Exposed", "Bag", "Bag rate (95 % CI)", "vs control"]
        head += ["Paid", "Paid rate (95 % CI)", "vs control"]
        mismatched = sum(variant.mismatched for variant in experiment.variants)
        notes = [f"Too small to read: {warning}." for warning in experiment.warnings]
        if mismatched:
            notes.append(
                f"{mismatched} pages drew another variant than assigned (counted as assigned)."
            )
        parts.append(
            f"<h3>{escape(experiment.experiment_id)}: {escape(experiment.name)}</h3>"
            + _table(head, rows)
            + "".join(f'<p class="note warning">{escape(note)}</p>' for note in notes)
        )
    return "".join(parts) + (
        '<p class="note">Sessions exposed to the card (revealed on their page) and, of those, '
        "the ones that added the product to the bag or paid an order with it. Intervals: Wilson "
        "95 %; p: pooled two-proportion z-test against the control, two-sided.</p>"
    )


SECTION_RENDERERS: dict[str, tuple[str, Callable[[ShowReport], str]]] = {
    "viewers": ("Viewers", _viewers),
    "chat": ("Chat and reactions", _chat),
    "funnel": ("Funnel and cart abandonment", _funnel),
    "cues": ("Sales and conversion per cue", _cues),
    "sales": ("Sales", _sales),
    "deals": ("Flash deals", _deals),
    "games": ("Games: participation", _games),
    "experiments": ("A/B tests of the product card", _experiments),
}


def render(report: ShowReport) -> str:
    """The whole report page."""
    span = ""
    if report.first_at is not None and report.last_at is not None:
        span = f" · covers {clock(report.first_at)}–{clock(report.last_at)} UTC"
    sections = []
    for section in report.sections:
        title, draw = SECTION_RENDERERS[section]
        sections.append(f'<section id="{section}"><h2>{escape(title)}</h2>{draw(report)}</section>')
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Show report: {escape(report.title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(report.title)}</h1>"
        f'<p class="meta">Show {escape(report.show_id)} · generated '
        f"{clock(report.generated_at)} UTC{span} · figures defined in docs/analytics.md</p>"
        + "".join(sections)
        + "</body></html>"
    )
