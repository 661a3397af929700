"""The report's charts as files for papers: SVG from the page's own drawing, PNG with matplotlib.

``--format svg`` needs nothing beyond steps-agents (each file is the chart's inline SVG with an
XML declaration). ``--format png`` draws the same chart description with matplotlib (the
``plot`` extra: ``pip install 'steps-agents[plot]'``), so the numbers are the page's numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steps_agents.errors import InputError, OutputError
from steps_agents.reporting.charts import PALETTE, BarChart, Chart, XYChart, short, svg

FORMATS = ("svg", "png")


def _draw_xy(ax: Any, chart: XYChart) -> None:
    for i, s in enumerate(chart.series):
        colour = s.colour_of(i)
        xs = [x for x, _ in s.points]
        ys = [y for _, y in s.points]
        if s.style == "dashed":
            ax.plot(xs, ys, "--", color=colour, label=s.name)
            continue
        if s.errors:
            low = [y - lo for (_, y), (lo, _) in zip(s.points, s.errors, strict=True)]
            high = [hi - y for (_, y), (_, hi) in zip(s.points, s.errors, strict=True)]
            ax.errorbar(xs, ys, yerr=[low, high], fmt="none", ecolor=colour, capsize=3)
        marker = "o" if s.style == "points" else "o-"
        ax.plot(xs, ys, marker, color=colour, label=s.name, markersize=5)
    if chart.log_x:
        ax.set_xscale("log")
    if chart.log_y:
        ax.set_yscale("log")
    if chart.y_range:
        ax.set_ylim(*chart.y_range)
    if chart.integer_x:
        ax.set_xticks(sorted({int(x) for s in chart.series for x, _ in s.points}))


def _draw_bars(ax: Any, chart: BarChart) -> None:
    n = max(1, len(chart.series))
    width = 0.8 / n
    for s, name in enumerate(chart.series):
        xs = [c + (s - (n - 1) / 2) * width for c in range(len(chart.categories))]
        ax.bar(xs, chart.values[s], width=width, color=PALETTE[s % len(PALETTE)], label=name)
    ax.set_xticks(range(len(chart.categories)))
    rotate = len(chart.categories) > 8 or max(len(c) for c in chart.categories) > 6
    ax.set_xticklabels(
        [short(c, 16) for c in chart.categories],
        rotation=35 if rotate else 0,
        ha="right" if rotate else "center",
    )


def _png(chart: Chart, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError(
            "--format png needs matplotlib: pip install 'steps-agents[plot]' (or use --format svg)"
        ) from None
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=150)
    try:
        if isinstance(chart, XYChart):
            _draw_xy(ax, chart)
        else:
            _draw_bars(ax, chart)
        ax.set_title(chart.title, fontsize=10)
        ax.set_xlabel(chart.x_label)
        ax.set_ylabel(chart.y_label)
        ax.grid(alpha=0.3)
        if len(chart.series) > 1:
            ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
        fig.tight_layout()
        fig.savefig(path)
    except OSError as exc:
        raise OutputError(path, exc) from exc
    finally:
        plt.close(fig)


def write_figures(charts: list[Chart], out_dir: str | Path, fmt: str = "svg") -> list[Path]:
    """One file per chart, named by its id (``k-curve.svg``, ...); returns the paths written."""
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(out, exc) from exc
    written = []
    for chart in charts:
        path = out / f"{chart.id}.{fmt}"
        if fmt == "svg":
            try:
                text = svg(chart, standalone=True)
                path.write_text(
                    f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n', encoding="utf-8"
                )
            except OSError as exc:
                raise OutputError(path, exc) from exc
        else:
            _png(chart, path)
        written.append(path)
    return written
