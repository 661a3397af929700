"""``steps report INPUT... -o report.html``: one self-contained page from whatever the pipeline wrote.

Inputs are files or directories (read one level deep): a taxonomy, combinations, samples and
rejects, a synthesis run report (`steps synth --json`), evaluation reports, and the corpus
summary of `steps taxonomy stats --json`; each is recognised by its version marker
(:mod:`steps_agents.reporting.inputs`). ``--figures DIR`` also writes every chart as a file
(``--format svg``, or ``png`` with the ``plot`` extra).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from steps_agents.reporting.figures import FORMATS


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report (and figures) from taxonomy/selection/synth/eval files",
        description="Write one self-contained HTML file (no network: CSS, script and SVG inline)"
        " from a taxonomy, combinations, samples, synthesis and evaluation reports, and a corpus"
        " summary; a directory such as the quickstart's output is read one level deep.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or directories to report on")
    p.add_argument("-o", "--output", default="report.html", help="HTML file (default report.html)")
    p.add_argument("--title", default="steps-agents report", help="page title")
    p.add_argument("--figures", metavar="DIR", help="also write every chart into DIR")
    p.add_argument(
        "--format", choices=FORMATS, default="svg", help="figure format (png needs matplotlib)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from steps_agents.reporting import build_sections, charts_of, load_inputs, write_html
    from steps_agents.reporting.figures import write_figures

    inputs = load_inputs(args.inputs)
    for warning in inputs.warnings:  # also on the page, under the list of inputs
        print(f"warning: {warning}", file=sys.stderr)
    sections = build_sections(inputs)
    path = write_html(inputs, args.output, title=args.title, sections=sections)
    print(f"report: {path} (from {len(inputs.used)} files)")
    if args.figures:
        written = write_figures(charts_of(sections), args.figures, args.format)
        print(f"figures: {len(written)} {args.format} files in {args.figures}")
    return 0
