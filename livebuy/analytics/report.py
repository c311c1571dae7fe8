"""The post-show report's figures, computed by pure functions from data read once.

``ReportInputs`` is everything read from Redis (``report_reader.py``); ``build_report`` turns it
into a ``ShowReport`` without I/O, so every formula of docs/analytics.md is unit-testable.
``REPORT_SECTIONS`` lists the report's sections in order: a new section (e.g. A/B tests) is a
new entry here, a field of ``ShowReport`` and a renderer in ``report_html.SECTION_RENDERERS``.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from catalog.models import Money
from livebuy.analytics.attribution import NO_CUE, deal_key
from livebuy.analytics.funnel import STEPS
from livebuy.analytics.models import MinutePoint
from livebuy.analytics.report_models import (
    Abandonment,
    Conversion,
    CueRow,
    DealRow,
    ExperimentRow,
    FunnelStep,
    GameRow,
    ProductRow,
    SalesFigures,
    ShowReport,
    VariantRow,
    ViewerFigures,
)
from livebuy.analytics.service import MINUTE_MS, sales_rows
from livebuy.analytics.significance import sample_warnings, two_proportion_z_test, wilson_interval
from livebuy.shows.models import CardExperiment

# Prefix of a deal's own sales counters (every order bought at the deal price, whichever cue
# was on air at its checkout).
DEAL_SALES = "deal_sales:"
REPORT_SECTIONS = ["viewers", "chat", "funnel", "cues", "sales", "deals", "games", "experiments"]
STEP_LABELS = {
    "viewers": "Watched",
    "shown": "Card shown",
    "opened": "Product sheet opened",
    "bagged": "Added to bag",
    "checkout": "Checkout started",
    "paid": "Paid",
}


@dataclass(frozen=True)
class StreamEntry:
    """One event of the show's stream: its seq, type, time (ms) and data."""

    seq: int
    type: str
    at: int
    data: dict[str, Any]


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report is computed from, read from Redis in one pass."""

    show_id: str
    title: str
    now: int
    events: list[StreamEntry]
    viewers_per_minute: dict[int, int]
    chat_per_minute: dict[int, int]
    reactions_per_minute: dict[int, int]
    sales: dict[str, str]
    names: dict[str, str]
    product_funnel: dict[str, tuple[int, int]]
    watchers: int
    steps: dict[str, int]
    carts: int
    bagged_or_checkout: int
    cue_steps: dict[str, dict[str, int]]
    counts: dict[str, str]
    experiments: list[CardExperiment] = dataclasses.field(default_factory=list)
    experiment_counts: dict[str, str] = dataclasses.field(default_factory=dict)


def build_report(inputs: ReportInputs) -> ShowReport:
    """Every figure of the report (formulas in docs/analytics.md)."""
    minutes = _minute_range(inputs)
    viewers = _series(minutes, inputs.viewers_per_minute)
    chat = _series(minutes, inputs.chat_per_minute)
    reactions = _series(minutes, inputs.reactions_per_minute)
    times = [entry.at for entry in inputs.events] + minutes
    return ShowReport(
        show_id=inputs.show_id,
        title=inputs.title,
        generated_at=inputs.now,
        first_at=min(times) if times else None,
        last_at=max(times) if times else None,
        sections=list(REPORT_SECTIONS),
        viewers=viewer_figures(viewers, inputs.watchers),
        chat_per_minute=chat,
        reactions_per_minute=reactions,
        chat_total=sum(point.value for point in chat),
        reactions_total=sum(point.value for point in reactions),
        funnel=funnel_steps(inputs.watchers, inputs.steps),
        abandonment=abandonment(inputs),
        sales=sales_figures(inputs.sales),
        products=product_rows(inputs),
        cues=cue_rows(inputs),
        deals=deal_rows(inputs),
        games=game_rows(inputs.events),
        experiments=experiment_rows(inputs),
    )


def _minute_range(inputs: ReportInputs) -> list[int]:
    known = [*inputs.viewers_per_minute, *inputs.chat_per_minute, *inputs.reactions_per_minute]
    if not known:
        return []
    return list(range(min(known), max(known) + MINUTE_MS, MINUTE_MS))


def _series(minutes: list[int], values: dict[int, int]) -> list[MinutePoint]:
    return [MinutePoint(minute=minute, value=values.get(minute, 0)) for minute in minutes]


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when ``whole`` is 0."""
    return part / whole if whole else None


def viewer_figures(per_minute: list[MinutePoint], unique: int) -> ViewerFigures:
    """Peak, viewer-minutes and average watch time from the per-minute peaks."""
    peak = max(per_minute, key=lambda point: point.value, default=None)
    viewer_minutes = sum(point.value for point in per_minute)
    return ViewerFigures(
        unique=unique,
        peak=peak.value if peak else 0,
        peak_minute=peak.minute if peak and peak.value else None,
        viewer_minutes=viewer_minutes,
        average_watch_minutes=round(viewer_minutes / unique, 2) if unique else 0.0,
        per_minute=per_minute,
    )


def funnel_steps(watchers: int, steps: dict[str, int]) -> list[FunnelStep]:
    """Watched → card shown → sheet opened → added to bag → checkout → paid, with drop-offs."""
    rows = []
    previous: int | None = None
    for step in ("viewers", *STEPS):
        sessions = watchers if step == "viewers" else steps.get(step, 0)
        share = None if previous is None else ratio(sessions, previous)
        rows.append(
            FunnelStep(
                step=step,
                label=STEP_LABELS[step],
                sessions=sessions,
                of_previous=share,
                drop_off=None if share is None else 1 - share,
            )
        )
        previous = sessions
    return rows


def abandonment(inputs: ReportInputs) -> Abandonment:
    """Carts, the ones never paid, and the orders that expired or were cancelled unpaid."""
    paid = inputs.steps.get("paid", 0)
    abandoned = max(inputs.carts - paid, 0)
    return Abandonment(
        carts=inputs.carts,
        paid=paid,
        abandoned_carts=abandoned,
        rate=ratio(abandoned, inputs.carts),
        abandoned_orders=sum(
            int(value)
            for field, value in inputs.counts.items()
            if field.endswith("|abandoned_orders")
        ),
        bags_without_order=max(inputs.bagged_or_checkout - inputs.steps.get("checkout", 0), 0),
    )


def sales_figures(fields: dict[str, str]) -> SalesFigures:
    """Paid orders, units and revenue of the show; average order value per currency."""
    rows = sales_rows(fields)
    orders = int(fields.get("orders", 0))
    revenue: dict[str, int] = defaultdict(int)
    for _, _, amount, currency in rows.values():
        revenue[currency] += amount
    return SalesFigures(
        orders=orders,
        units=sum(units for units, _, _, _ in rows.values()),
        revenue=[Money(amount=amount, currency=cur) for cur, amount in sorted(revenue.items())],
        average_order_value=[
            Money(amount=round(amount / orders), currency=cur)
            for cur, amount in sorted(revenue.items())
            if orders
        ],
    )


def product_rows(inputs: ReportInputs) -> list[ProductRow]:
    """Per product: cards shown, adds to bag, paid units, orders and revenue; best sellers first."""
    sold = sales_rows(inputs.sales)
    rows = []
    for product_id in sorted({*sold, *inputs.product_funnel}):
        units, orders, amount, currency = sold.get(product_id, (0, 0, 0, ""))
        shown, added = inputs.product_funnel.get(product_id, (0, 0))
        rows.append(
            ProductRow(
                product_id=product_id,
                name=inputs.names.get(product_id, product_id),
                cards_shown=shown,
                added_to_bag=added,
                units=units,
                orders=orders,
                revenue=Money(amount=amount, currency=currency) if currency else None,
            )
        )
    rows.sort(key=lambda row: (-(row.revenue.amount if row.revenue else 0), row.product_id))
    return rows


def _money(counts: dict[str, str], prefix: str) -> list[Money]:
    found = []
    for field, value in sorted(counts.items()):
        key, _, counter = field.rpartition("|")
        if key == prefix and counter.startswith("revenue:"):
            found.append(Money(amount=int(value), currency=counter.removeprefix("revenue:")))
    return found


def _count(counts: dict[str, str], prefix: str, counter: str) -> int:
    return int(counts.get(f"{prefix}|{counter}", 0))


def _minute_of(at: int) -> int:
    return at - at % MINUTE_MS


def cue_rows(inputs: ReportInputs) -> list[CueRow]:
    """Per pin or deal cue, in the order they first went on air, then cues the stream lost."""
    aired: dict[str, dict[str, Any]] = {}
    for entry in inputs.events:
        if entry.type != "cue" or entry.data.get("kind") not in ("pin", "deal_start"):
            continue
        data = entry.data
        if data["kind"] == "pin":
            key, kind = str(data["cue_id"]), "pin"
            label = inputs.names.get(data["product_id"], data["product_id"])
        else:
            key, kind = deal_key(data["deal_id"]), "deal"
            name = inputs.names.get(data["product_id"], data["product_id"])
            label = f"Flash deal {data['deal_id']}: {name}"
        seen = aired.setdefault(key, {"label": label, "kind": kind, "first": entry.at, "n": 0})
        seen["n"] += 1
        # A looping show's cue airs once per run: its audience is its best airing's.
        viewers = inputs.viewers_per_minute.get(_minute_of(entry.at), 0)
        seen["viewers"] = max(seen.get("viewers", 0), viewers)
    rows = []
    for key in [*aired, *sorted(set(inputs.cue_steps) - set(aired))]:
        info = aired.get(key)
        steps = inputs.cue_steps.get(key, {})
        viewers = info["viewers"] if info else 0
        paid = steps.get("paid", 0)
        rows.append(
            CueRow(
                key=key,
                label=info["label"] if info else _lost_label(key),
                kind=info["kind"] if info else ("none" if key == NO_CUE else "pin"),
                first_at=info["first"] if info else None,
                airings=info["n"] if info else 0,
                viewers_at_cue=viewers,
                shown=steps.get("shown", 0),
                opened=steps.get("opened", 0),
                bagged=steps.get("bagged", 0),
                checkout=steps.get("checkout", 0),
                paid=paid,
                paid_orders=_count(inputs.counts, key, "paid_orders"),
                units=_count(inputs.counts, key, "paid_units"),
                revenue=_money(inputs.counts, key),
                abandoned_orders=_count(inputs.counts, key, "abandoned_orders"),
                conversion=ratio(paid, viewers),
            )
        )
    return rows


def _lost_label(key: str) -> str:
    if key == NO_CUE:
        return "No pin or deal on air"
    return f"{key} (no longer in the show's stream)"


def deal_rows(inputs: ReportInputs) -> list[DealRow]:
    """Per flash deal: its runs, how long each took to sell out, and what it sold."""
    starts: dict[str, list[int]] = defaultdict(list)
    sold_out: dict[str, list[int | None]] = defaultdict(list)
    terms: dict[str, dict[str, Any]] = {}
    for entry in inputs.events:
        data = entry.data
        if entry.type == "cue" and data.get("kind") == "deal_start":
            deal_id = str(data["deal_id"])
            terms[deal_id] = data
            starts[deal_id].append(entry.at)
            sold_out[deal_id].append(None)
        elif entry.type == "stock":
            for deal in data.get("deals", []):
                deal_id = str(deal.get("deal_id"))
                runs = sold_out.get(deal_id)
                if runs and runs[-1] is None and int(deal.get("units_left", 1)) <= 0:
                    runs[-1] = entry.at - starts[deal_id][-1]
    rows = []
    for deal_id, data in terms.items():
        key = DEAL_SALES + deal_id
        product_id = str(data["product_id"])
        rows.append(
            DealRow(
                deal_id=deal_id,
                product_id=product_id,
                name=inputs.names.get(product_id, product_id),
                deal_price=Money.model_validate(data["deal_price"]),
                units=int(data["units"]),
                runs=len(starts[deal_id]),
                sell_out_ms=sold_out[deal_id],
                orders=_count(inputs.counts, key, "paid_orders"),
                units_sold=_count(inputs.counts, key, "paid_units"),
                revenue=_money(inputs.counts, key),
            )
        )
    return rows


def game_rows(events: list[StreamEntry]) -> list[GameRow]:
    """Each run of a poll, quiz, giveaway, red-packet rain or auction, from its last event."""
    last: dict[tuple[str, str, int], GameRow] = {}
    for entry in events:
        row = _game_row(entry)
        if row is not None:
            last[(row.kind, row.game_id, row.at)] = row
    return sorted(last.values(), key=lambda row: (row.at, row.kind, row.game_id))


def _game_row(entry: StreamEntry) -> GameRow | None:
    data = entry.data
    if entry.type == "poll_results" and data.get("final"):
        if data.get("kind") == "quiz":
            detail = f"{data.get('correct_count') or 0} correct"
        else:
            counts = data.get("counts") or []
            detail = "votes per option: " + ", ".join(str(count) for count in counts)
        return GameRow(
            kind=str(data.get("kind", "poll")),
            game_id=str(data["poll_id"]),
            at=int(data.get("opened_at") or entry.at),
            participants=int(data.get("total") or 0),
            detail=detail,
        )
    if entry.type == "giveaway_result":
        winners = len(data.get("winners") or [])
        return GameRow(
            kind="giveaway",
            game_id=str(data["giveaway_id"]),
            at=entry.at,
            participants=int(data.get("entries") or 0),
            detail=f"{winners} winner{'s' if winners != 1 else ''}",
        )
    if entry.type == "red_packets_update" and data.get("final"):
        granted = int(data.get("granted") or 0)
        amount = Money(amount=int(data.get("granted_amount") or 0), currency=data["currency"])
        return GameRow(
            kind="red_packets",
            game_id=str(data["rain_id"]),
            at=int(data.get("ends_at") or entry.at),
            participants=granted,
            detail=f"{granted} of {data.get('count', 0)} packets grabbed, "
            f"{amount.amount / 100:.2f} {amount.currency} granted",
        )
    if entry.type == "auction" and data.get("status") != "open":
        price = int(data.get("price") or 0) / 100
        return GameRow(
            kind="auction",
            game_id=str(data["auction_id"]),
            at=int(data.get("started_at") or entry.at),
            participants=int(data.get("bids") or 0),
            detail=f"{data.get('status')}, final price {price:.2f} {data.get('currency', '')}",
        )
    return None


def conversion(sessions: int, exposures: int, control: tuple[int, int] | None = None) -> Conversion:
    """A step's rate with its Wilson interval and, against ``control`` (sessions, exposures),
    the two-proportion z-test."""
    interval = wilson_interval(sessions, exposures)
    test = None if control is None else two_proportion_z_test(*control, sessions, exposures)
    return Conversion(
        sessions=sessions,
        rate=ratio(sessions, exposures),
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        z=test[0] if test else None,
        p_value=test[1] if test else None,
    )


def experiment_rows(inputs: ReportInputs) -> list[ExperimentRow]:
    """Per A/B test of the show: each variant's exposures and conversions, against the first."""
    rows = []
    for experiment in inputs.experiments:

        def count(variant: str, counter: str, experiment_id: str = experiment.id) -> int:
            return int(inputs.experiment_counts.get(f"{experiment_id}|{variant}|{counter}", 0))

        figures = [
            (variant, count(variant.name, "exposed"), count(variant.name, "bagged"))
            + (count(variant.name, "paid"), count(variant.name, "mismatched"))
            for variant in experiment.variants
        ]
        _, control_exposed, control_bagged, control_paid, _ = figures[0]
        variants = []
        for index, (variant, exposed, bagged, paid, mismatched) in enumerate(figures):
            first = index == 0
            variants.append(
                VariantRow(
                    name=variant.name,
                    layout=variant.layout,
                    show_bought_count=variant.show_bought_count,
                    exposures=exposed,
                    mismatched=mismatched,
                    bagged=conversion(
                        bagged, exposed, None if first else (control_bagged, control_exposed)
                    ),
                    paid=conversion(
                        paid, exposed, None if first else (control_paid, control_exposed)
                    ),
                )
            )
        warnings = sample_warnings(
            "added to bag", [(row[0].name, row[2], row[1]) for row in figures]
        ) + sample_warnings("paid", [(row[0].name, row[3], row[1]) for row in figures])
        rows.append(
            ExperimentRow(
                experiment_id=experiment.id,
                product_id=experiment.product_id,
                name=inputs.names.get(experiment.product_id, experiment.product_id),
                variants=variants,
                warnings=list(dict.fromkeys(warnings)),
            )
        )
    return rows
