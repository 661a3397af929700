"""Chart descriptions and their hand-written SVG: the page needs no plotting library and no script.

A chart is data (:class:`XYChart`, :class:`BarChart`); :func:`svg` draws it as an inline SVG
element, and :mod:`steps_agents.reporting.figures` draws the same description with matplotlib
for PNG files. Every mark carries a ``<title>`` (the browser's tooltip) with its exact values,
and the points of a series carry ``data-series`` / ``data-x`` attributes so tests and scripts can
read a chart back from the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Literal

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""Okabe-Ito colours: distinguishable with the common colour-vision deficiencies."""

WIDTH, HEIGHT = 600, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 184, 34, 50  # the right margin holds the legend
LEGEND_CHARS = 25


@dataclass
class Series:
    """One named series; ``errors`` are (low, high) per point, drawn as whiskers."""

    name: str
    points: list[tuple[float, float]]
    errors: list[tuple[float, float]] | None = None
    style: Literal["line", "dashed", "points"] = "line"
    colour: int | None = None  # index into PALETTE; default: the series' position

    def colour_of(self, position: int) -> str:
        return PALETTE[(position if self.colour is None else self.colour) % len(PALETTE)]


@dataclass
class XYChart:
    id: str
    title: str
    x_label: str
    y_label: str
    series: list[Series]
    log_x: bool = False
    log_y: bool = False
    y_range: tuple[float, float] | None = None
    integer_x: bool = False
    note: str = ""


@dataclass
class BarChart:
    """Grouped bars: one bar per series in each category (``values[series][category]``)."""

    id: str
    title: str
    x_label: str
    y_label: str
    categories: list[str]
    series: list[str]
    values: list[list[float]]
    note: str = ""
    hints: list[str] = field(default_factory=list)  # a full name per category for the tooltip


Chart = XYChart | BarChart


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e7:
        return f"{int(v)}"
    if abs(v) >= 1000 or abs(v) < 0.01:
        return f"{v:.3g}"
    return f"{v:.3f}".rstrip("0").rstrip(".")


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering ``[lo, hi]``."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(lo / step) * step
    ticks, v = [], start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten covering ``[lo, hi]`` (with 2 and 5 between them over a short range)."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    mults = (1, 2, 5) if b - a <= 2 else (1,)
    return [m * 10.0**e for e in range(a, b + 1) for m in mults if lo <= m * 10.0**e <= hi * 1.0001]


class _Scale:
    def __init__(self, lo: float, hi: float, a: float, b: float, log: bool) -> None:
        self.log = log
        self.lo, self.hi = (math.log10(lo), math.log10(hi)) if log else (lo, hi)
        if self.hi <= self.lo:
            self.hi = self.lo + 1.0
        self.a, self.b = a, b

    def __call__(self, v: float) -> float:
        v = math.log10(v) if self.log else v
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)


def _frame(chart: Chart, body: list[str], extra: int = 0) -> str:
    """The ``<svg>`` around ``body``: title and axis labels; ``extra`` px below for long ticks."""
    label = escape(chart.title)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart.id)}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT + extra}" role="img" aria-label="{label}">'
        f'<text class="title" x="{LEFT}" y="18">{label}</text>'
    )
    x_mid = (LEFT + WIDTH - RIGHT) / 2
    y_mid = (TOP + HEIGHT - BOTTOM) / 2
    axes = (
        f'<text class="axis-label" x="{x_mid}" y="{HEIGHT + extra - 8}" text-anchor="middle">'
        f"{escape(chart.x_label)}</text>"
        f'<text class="axis-label" transform="translate(14,{y_mid}) rotate(-90)"'
        f' text-anchor="middle">{escape(chart.y_label)}</text>'
    )
    return head + "".join(body) + axes + "</svg>"


def _legend(names: list[str], colours: list[str], styles: list[str] | None = None) -> list[str]:
    """One legend row per series: a line (solid or dashed) or a dot, in the series' colour."""
    out = []
    for i, (name, colour) in enumerate(zip(names, colours, strict=True)):
        y = TOP + 10 + 18 * i
        x = WIDTH - RIGHT + 12
        style = styles[i] if styles else "line"
        dash = ' stroke-dasharray="5 3"' if style == "dashed" else ""
        mark = (
            f'<circle cx="{x + 9}" cy="{y}" r="4" fill="{colour}"/>'
            if style == "points"
            else f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{colour}"'
            f' stroke-width="3"{dash}/>'
        )
        out.append(
            f"{mark}"
            f'<text class="legend" x="{x + 24}" y="{y + 4}">{escape(short(name, LEGEND_CHARS))}'
            f"<title>{escape(name)}</title></text>"
        )
    return out


def short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _xy_svg(chart: XYChart) -> str:
    xs = [x for s in chart.series for x, _ in s.points]
    ys = [y for s in chart.series for _, y in s.points]
    ys += [v for s in chart.series for pair in s.errors or [] for v in pair]
    if chart.log_y:
        ys = [y for y in ys if y > 0]
    if chart.log_x:
        xs = [x for x in xs if x > 0]
    if not xs or not ys:
        return _frame(chart, [f'<text x="{LEFT}" y="{TOP + 30}">no data</text>'])
    x_lo, x_hi = min(xs), max(xs)
    if chart.integer_x:
        x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    y_lo, y_hi = chart.y_range or (min(ys), max(ys))
    if not chart.log_y and chart.y_range is None:
        y_lo, y_hi = min(0.0, y_lo), y_hi * 1.05 if y_hi > 0 else 1.0
    elif chart.y_range is None:  # log axis: half a step of room so no point sits on the frame
        y_lo, y_hi = y_lo / 1.6, y_hi * 1.6
    sx = _Scale(x_lo, x_hi, LEFT, WIDTH - RIGHT, chart.log_x)
    sy = _Scale(y_lo, y_hi, HEIGHT - BOTTOM, TOP, chart.log_y)
    body: list[str] = []
    y_ticks = log_ticks(y_lo, y_hi) if chart.log_y else nice_ticks(y_lo, y_hi)
    for t in y_ticks:
        if not (sy.lo - 1e-9 <= (math.log10(t) if chart.log_y else t) <= sy.hi + 1e-9):
            continue
        y = sy(t)
        body.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
        )
    if chart.integer_x:
        x_ticks = [float(v) for v in sorted({int(x) for x in xs})]
    else:
        x_ticks = log_ticks(x_lo, x_hi) if chart.log_x else nice_ticks(x_lo, x_hi)
    for t in x_ticks:
        if chart.log_x and t <= 0:
            continue
        x = sx(t)
        if LEFT - 1 <= x <= WIDTH - RIGHT + 1:
            body.append(
                f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}"'
                f' text-anchor="middle">{_fmt(t)}</text>'
            )
    body.append(
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}"'
        f' y2="{HEIGHT - BOTTOM}"/><line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}"'
        f' y2="{HEIGHT - BOTTOM}"/>'
    )
    with_errors = [i for i, s in enumerate(chart.series) if s.errors]
    for i, s in enumerate(chart.series):
        colour = s.colour_of(i)
        # Series with whiskers on integer x are dodged sideways a little so their intervals do
        # not hide each other; data-x keeps the exact value.
        dodge = 0.0
        if chart.integer_x and len(with_errors) > 1 and i in with_errors:
            step = min(0.08, 0.5 / len(with_errors))
            dodge = (with_errors.index(i) - (len(with_errors) - 1) / 2) * step
        pts = [
            (x + dodge, y)
            for x, y in s.points
            if (x > 0 or not chart.log_x) and (y > 0 or not chart.log_y)
        ]
        name = escape(s.name)
        if s.style in ("line", "dashed") and len(pts) > 1:
            dash = ' stroke-dasharray="6 4"' if s.style == "dashed" else ""
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
            body.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{path}"/>'
            )
        if s.style == "dashed":
            continue
        for j, (x, y) in enumerate(s.points):
            if (chart.log_x and x <= 0) or (chart.log_y and y <= 0):
                continue
            tip = f"{s.name}: {chart.x_label} {_fmt(x)}, {chart.y_label} {_fmt(y)}"
            at = x + dodge
            if s.errors:
                lo, hi = s.errors[j]
                tip += f" [{_fmt(lo)}, {_fmt(hi)}]"
                body.append(
                    f'<line stroke="{colour}" stroke-width="1.5" x1="{sx(at):.1f}"'
                    f' y1="{sy(max(lo, y_lo) if chart.log_y else lo):.1f}" x2="{sx(at):.1f}"'
                    f' y2="{sy(hi):.1f}"/>'
                )
            body.append(
                f'<circle class="point" data-series="{name}" data-x="{_fmt(x)}"'
                f' data-y="{_fmt(y)}" cx="{sx(at):.1f}" cy="{sy(y):.1f}" r="4" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    names = [s.name for s in chart.series]
    colours = [s.colour_of(i) for i, s in enumerate(chart.series)]
    body += _legend(names, colours, [s.style for s in chart.series])
    return _frame(chart, body)


def _bar_svg(chart: BarChart) -> str:
    values = [v for row in chart.values for v in row]
    if not chart.categories or not values:
        return _frame(chart, [f'<text x="{LEFT}" y="{TOP + 30}">no data</text>'])
    top = max(values) if max(values) > 0 else 1.0
    sy = _Scale(0.0, top * 1.08, HEIGHT - BOTTOM, TOP, False)
    body: list[str] = []
    for t in nice_ticks(0.0, top * 1.08):
        if t <= top * 1.08:
            y = sy(t)
            body.append(
                f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
                f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
            )
    band = (WIDTH - RIGHT - LEFT) / len(chart.categories)
    width = min(band * 0.8, 90.0) / max(1, len(chart.series))  # one category: no wall of colour
    rotate = len(chart.categories) > 8 or max(len(c) for c in chart.categories) > 6
    for c, category in enumerate(chart.categories):
        x0 = LEFT + (c + 0.5) * band - width * len(chart.series) / 2
        hint = chart.hints[c] if c < len(chart.hints) else category
        for s, name in enumerate(chart.series):
            v = chart.values[s][c]
            y = sy(v)
            body.append(
                f'<rect class="bar" data-series="{escape(name)}" data-x="{escape(category)}"'
                f' x="{x0 + s * width:.1f}" y="{y:.1f}" width="{max(width - 1, 1):.1f}"'
                f' height="{HEIGHT - BOTTOM - y:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(f'{name}, {hint}: {_fmt(v)}')}</title></rect>"
            )
        cx = LEFT + (c + 0.5) * band
        label = escape(short(category, 14))
        if rotate:
            body.append(
                f'<text class="tick" transform="translate({cx:.1f},{HEIGHT - BOTTOM + 10})'
                f' rotate(-35)" text-anchor="end">{label}<title>{escape(hint)}</title></text>'
            )
        else:
            body.append(
                f'<text class="tick" x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{label}<title>{escape(hint)}</title></text>"
            )
    body.append(
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}"'
        f' y2="{HEIGHT - BOTTOM}"/>'
    )
    if len(chart.series) > 1:
        body += _legend(chart.series, [PALETTE[i % len(PALETTE)] for i in range(len(chart.series))])
    return _frame(chart, body, extra=44 if rotate else 0)


SVG_STYLE = (
    "text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    ".title{font-size:13px;font-weight:600;fill:#1d232b}"
    ".tick,.legend{font-size:11px;fill:#5b6573}.axis-label{font-size:12px;fill:#1d232b}"
    ".grid{stroke:#eceff3}.axis{stroke:#8a94a3}"
)
"""The chart styles a standalone file carries (the page sets the same ones in its CSS)."""


def svg(chart: Chart, *, standalone: bool = False) -> str:
    """The chart as one ``<svg>`` element; ``standalone`` adds its styles for an ``.svg`` file."""
    text = _xy_svg(chart) if isinstance(chart, XYChart) else _bar_svg(chart)
    if standalone:
        cut = text.index(">") + 1
        text = (
            text[:cut]
            + f'<rect width="100%" height="100%" fill="#fff"/><style>{SVG_STYLE}</style>'
            + text[cut:]
        )
    return text
