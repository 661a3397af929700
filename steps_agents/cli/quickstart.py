"""``steps quickstart``: taxonomy -> selection -> verified task synthesis -> evaluation, offline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "quickstart",
        help="run the whole method offline on the bundled toolworld corpus",
        description=(
            "Build the taxonomy of a skill world's bundled corpus, synthesise verified k-skill"
            " tasks (k = 1..5, --per-k each) with the entropy-guided selector, plus a k = 1 task for"
            " every skill used at k >= 2 that has none (so the compositional gap is measurable),"
            " evaluate the oracle, random and keyword agents, and print the per-k table. No model"
            " or API key needed; rerun to resume."
        ),
    )
    p.add_argument("-o", "--output-dir", default="quickstart-out", help="where files go")
    p.add_argument("--world", default="toolworld", help="skill world (default toolworld)")
    p.add_argument("--corpus", help="trajectory corpus (default: the world's bundled one)")
    p.add_argument(
        "--extractor",
        default="tool_calls",
        help="skill extractor for the corpus (default tool_calls; auto picks by record shape)",
    )
    p.add_argument("--skip-empty", action="store_true", help="drop corpus records with no skill")
    p.add_argument("--per-k", type=int, default=28, help="tasks per k (default 28)")
    # 1-5: above k = 5 the toolworld composes few plans that ask one connected question (the
    # composer refuses glued ones), so --k 1-7 gives k = 6 and 7 a handful of tasks.
    p.add_argument(
        "--k", default="1-5", help="k values: a range 1-5 (default), a list 2,3,5, or both"
    )
    p.add_argument(
        "--no-singles",
        dest="singles",
        action="store_false",
        help="skip the k = 1 task added for each skill used at k >= 2 without one (the"
        " compositional gap then covers only the tasks whose skills all have a k = 1 task)",
    )
    p.add_argument("--height", type=int, default=3, help="community levels (default 3)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the evaluation report as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from steps_agents.evaluation.report import k_table
    from steps_agents.graphs.quickstart import run_quickstart

    started = time.monotonic()
    result = run_quickstart(
        args.output_dir,
        world=args.world,
        corpus=args.corpus,
        per_k=args.per_k,
        k=args.k,
        height=args.height,
        seed=args.seed,
        extractor=args.extractor,
        skip_empty=args.skip_empty,
        singles=args.singles,
        quiet=args.json,
    )
    # A report over fewer tasks than asked is said so, last and on stderr, and exits 1.
    partial = result.partial
    if partial is not None:
        partial = f"partial report: {partial}; rerun the same command to complete it"
    if args.json:
        print(result.report.to_json())
        if partial is not None:
            print(f"error: {partial}", file=sys.stderr)
        return 0 if partial is None else 1
    print()
    for summary in result.report.agents:
        print(f"agent {summary.agent}: pass rate by number of required skills k")
        print(k_table(summary))
        print()
    c = result.report.comparison
    if c is not None:
        print(
            f"{c.agent_a} vs {c.agent_b}: {c.only_a} tasks passed only by {c.agent_a},"
            f" {c.only_b} only by {c.agent_b}; exact McNemar p = {c.p_mcnemar:.3g}"
        )
    if result.recipe_report is not None:
        from steps_agents.graphs.instruction_styles import (
            difficulty_table,
            plan_rejections,
            style_table,
        )
        from steps_agents.worlds import load_tasks

        print("pass rate by k, goal instructions; keyword also on recipes of the same plans")
        print(style_table(result.report, result.recipe_report))
        tasks = load_tasks(result.files["tasks"])
        print("\ntask difficulty by k (means; provenance.difficulty)")
        print(difficulty_table(tasks))
        rejected = plan_rejections(tasks)
        shown = ", ".join(f"{rule} {n}" for rule, n in rejected.most_common()) or "none"
        print(f"plans redrawn by the plan rules while composing: {shown}")
        print()
    print("files: " + json.dumps({name: str(path) for name, path in result.files.items()}))
    print(f"done in {time.monotonic() - started:.1f}s")
    if partial is not None:
        print(f"error: {partial}", file=sys.stderr)
        return 1
    return 0
