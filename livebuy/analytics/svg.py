"""Small inline SVG charts for the post-show report: no JavaScript, no fonts or files to fetch.

Each function returns one ``<svg>`` element as text (valid XML), with a ``<title>`` and
``role="img"`` for screen readers, drawn in a fixed palette that also prints in grey.
"""

from __future__ import annotations

import math
import time
from html import escape

MINUTE_MS = 60_000
PALETTE = ("#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def time_ticks(first: int, last: int, most: int = 8) -> list[int]:
    """Whole minutes from ``first`` to ``last`` (ms), every 1, 2, 5, 10, 15, 30 or 60 minutes,
    at most ``most`` of them; ``[first]`` when the span is under a minute."""
    minutes = (last - first) / MINUTE_MS
    every = next((step for step in (1, 2, 5, 10, 15, 30, 60) if minutes / step < most), 120)
    size = every * MINUTE_MS
    start = -(-first // size) * size
    ticks = list(range(start, last + 1, size))
    return ticks or [first]


def clock(ms: int) -> str:
    """``HH:MM`` (UTC) of a time in ms."""
    return time.strftime("%H:%M", time.gmtime(ms / 1000))


def _number(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


def line_chart(
    series: list[tuple[str, list[tuple[int, int]]]],
    *,
    title: str,
    width: int = 720,
    height: int = 220,
) -> str:
    """Lines of ``(label, [(time ms, value), ...])`` over a shared time axis, with a legend."""
    left, right, top, bottom = 44, 24, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    times = [at for _, points in series for at, _ in points]
    values = [value for _, points in series for _, value in points]
    parts = [_open(width, height, title)]
    if not times:
        parts.append(_note(width, height, "no data"))
        return "".join(parts) + "</svg>"
    first, last = min(times), max(times)
    span = max(last - first, 1)
    # Whole numbers on the value axis: four steps of a 1-2-5 size.
    step_value = nice_max(max(values) / 4)
    top_value = step_value * 4

    def x(at: int) -> float:
        return left + plot_w * (at - first) / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    for tick in range(5):
        value = step_value * tick
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" {FONT} '
            f'fill="#374151">{_number(value)}</text>'
        )
    for at in time_ticks(first, last):
        parts.append(
            f'<text x="{x(at):.1f}" y="{height - 8}" text-anchor="middle" {FONT} '
            f'fill="#374151">{clock(at)}</text>'
        )
    for index, (label, points) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        if len(points) == 1:
            ((at, value),) = points
            parts.append(f'<circle cx="{x(at):.1f}" cy="{y(value):.1f}" r="3" fill="{color}"/>')
        elif points:
            path = " ".join(f"{x(at):.1f},{y(value):.1f}" for at, value in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        legend_x = left + 8 + 140 * index
        parts.append(
            f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="15" {FONT} fill="#111827">{escape(label)}</text>'
        )
    return "".join(parts) + "</svg>"


def bar_chart(
    rows: list[tuple[str, float, str]], *, title: str, width: int = 720, label_width: int = 220
) -> str:
    """Horizontal bars of ``(label, value, value text)``, longest scaled to the full width."""
    bar_h, gap, top = 18, 6, 8
    height = top * 2 + max(len(rows), 1) * (bar_h + gap)
    parts = [_open(width, height, title)]
    if not rows:
        parts.append(_note(width, height, "no data"))
        return "".join(parts) + "</svg>"
    longest = max(value for _, value, _ in rows) or 1
    room = width - label_width - 90
    for index, (label, value, text) in enumerate(rows):
        y = top + index * (bar_h + gap)
        length = max(room * value / longest, 0)
        color = PALETTE[0]
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end" {FONT} '
            f'fill="#111827">{escape(_clip(label, 36))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_h}" '
            f'fill="{color}" rx="2"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 13}" {FONT} '
            f'fill="#111827">{escape(text)}</text>'
        )
    return "".join(parts) + "</svg>"


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    )


def _note(width: int, height: int, text: str) -> str:
    return (
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" {FONT} '
        f'fill="#6b7280">{escape(text)}</text>'
    )
