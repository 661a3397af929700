"""Small HTML helpers shared by the section builders: escaped tables, numbers, a section record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from steps_agents.reporting.charts import Chart, svg


@dataclass
class Section:
    """One part of the page: an anchor id, a heading, its HTML body and the charts in it."""

    id: str
    title: str
    body: str
    charts: list[Chart] = field(default_factory=list)


def pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def points(x: float | None) -> str:
    """A difference of rates in percentage points, signed."""
    return "–" if x is None else f"{100 * x:+.1f}"


def num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, cls: str = "", raw: bool = False
) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then the caller escaped them)."""

    def cell(v: str) -> str:
        return v if raw else escape(v)

    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def figure(chart: Chart) -> str:
    note = f"<figcaption>{escape(chart.note)}</figcaption>" if chart.note else ""
    return f"<figure>{svg(chart)}{note}</figure>"


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def share_bar(value: float, top: float) -> str:
    """A tiny inline bar for table cells (width relative to ``top``)."""
    width = 0.0 if top <= 0 else 100 * value / top
    return f'<span class="sbar"><span style="width:{width:.1f}%"></span></span>'
