"""The HTML report and paper figures: everything the pipeline wrote, on one self-contained page.

``build_sections(inputs)`` turns :class:`ReportInputs` (see :mod:`.inputs`) into page sections,
one builder per artifact; ``render_html`` puts them in one file with inline CSS, script and SVG
(:mod:`.page`); ``write_figures`` writes the same charts as SVG or PNG files (:mod:`.figures`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from steps_agents.errors import OutputError
from steps_agents.reporting.charts import Chart
from steps_agents.reporting.evaluation_section import evaluation_section
from steps_agents.reporting.html import Section
from steps_agents.reporting.inputs import ReportInputs, load_inputs
from steps_agents.reporting.page import render_page
from steps_agents.reporting.pipeline_sections import selection_section, synthesis_section
from steps_agents.reporting.taxonomy_section import corpus_section, taxonomy_section

__all__ = [
    "ReportInputs",
    "build_sections",
    "charts_of",
    "load_inputs",
    "render_html",
    "write_html",
]


def build_sections(inputs: ReportInputs) -> list[Section]:
    """Taxonomy, corpus long tail, selection, synthesis, evaluation, in pipeline order."""
    return [
        taxonomy_section(inputs.taxonomy),
        corpus_section(inputs.corpus_stats, inputs.taxonomy),
        selection_section(inputs),
        synthesis_section(inputs),
        evaluation_section(inputs.eval_reports, inputs.eval_names),
    ]


def charts_of(sections: list[Section]) -> list[Chart]:
    return [c for s in sections for c in s.charts]


def render_html(
    inputs: ReportInputs,
    *,
    title: str = "steps-agents report",
    sections: list[Section] | None = None,
) -> str:
    """The page for ``inputs`` (``sections`` when already built, e.g. for figures too)."""
    return render_page(sections or build_sections(inputs), inputs, title=title)


def write_html(
    inputs: ReportInputs,
    path: str | Path,
    *,
    title: str = "steps-agents report",
    sections: list[Section] | None = None,
) -> Path:
    """Write the page atomically (temp file, then rename); returns the path."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(render_html(inputs, title=title, sections=sections), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OutputError(path, exc) from exc
    return path
