"""steps loop TASKS --agent SPEC --taxonomy T -n N -o DIR: from evaluation back to data.

One turn of the loop, in one command: steps eval runs the agent on the task file
(DIR/report.json, resumable), then steps synth --focus DIR/report.json synthesises the
next batch of executable tasks in the same skill world, steered toward the skills, pairs and
communities the agent failed (DIR/samples.jsonl, exported as DIR/tasks.jsonl), and a
short summary says what was targeted and how much of the new batch holds it. Both stages are
the subcommands themselves, so every flag means what it means there; rerunning resumes both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "loop",
        help="evaluate an agent, then synthesise the next tasks focused on its failures",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("tasks", metavar="TASKS", help="executable task file to evaluate on")
    p.add_argument("--agent", required=True, metavar="SPEC", help="agent spec, as for steps eval")
    p.add_argument("--taxonomy", required=True, help="taxonomy JSON of the tasks' skills")
    p.add_argument("-n", type=int, required=True, help="tasks in the next batch")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    p.add_argument("--k", default="1-7", help="skills per new task (default 1-7)")
    p.add_argument("--focus-strength", type=float, default=3.0, help="as for steps synth (3)")
    p.add_argument("--corpus", help="seed-example corpus (default: the world's bundled corpus)")
    p.add_argument("--seed", type=int, default=0, help="seed of both stages (default 0)")
    p.add_argument(
        "--agent-opt", action="append", default=[], metavar="KEY=VALUE", help="as for steps eval"
    )
    p.add_argument("--top", type=int, default=5, help="targets listed per kind (default 5)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def _subcommand(argv: list[str]) -> argparse.Namespace:
    from steps_agents.cli import build_parser

    return build_parser().parse_args(argv)


def _world(tasks: str) -> str:
    from steps_agents.fileformats import iter_json_lines

    for location, row in iter_json_lines(tasks):
        world = row.get("world") if isinstance(row, dict) else None
        if not isinstance(world, str):
            raise InputError("not an executable task (no 'world')", location=location)
        return world
    raise InputError("no tasks", location=tasks)


def summarise(focus: Any, combos: list[frozenset[str]], top: int) -> dict[str, Any]:
    """The heaviest targets and, for each, how many new combinations hold it."""
    best = focus.top(top)
    holds = {
        "skills": lambda name: sum(name in c for c in combos),
        "pairs": lambda name: sum(set(name.split(" + ")) <= c for c in combos),
        "communities": lambda name: sum(
            not c.isdisjoint(focus.community_skills.get(name, ())) for c in combos
        ),
    }
    return {
        kind: [
            {"target": name, "weight": round(w, 4), "new": holds[kind](name)} for name, w in rows
        ]
        for kind, rows in best.items()
    }


def run(args: argparse.Namespace) -> int:
    from steps_agents.cli.synth import config_from_args
    from steps_agents.graphs.synthesis import run_synthesis
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_skill_world, get_synthesis_mode
    from steps_agents.selection.focus import load_focus

    if args.n < 1:
        raise InputError(f"must be at least 1, got {args.n}", location="-n")
    out = Path(args.output)
    report, samples, tasks = out / "report.json", out / "samples.jsonl", out / "tasks.jsonl"
    pm = default_plugin_manager()
    world = _world(args.tasks)
    corpus = args.corpus or getattr(get_skill_world(world, pm), "corpus", None)
    if corpus is None:
        raise InputError(f"world {world!r} bundles no corpus; pass --corpus FILE")

    eval_argv = ["eval", args.tasks, "--agent", args.agent, "-o", str(report)]
    eval_argv += ["--taxonomy", args.taxonomy, "--state-dir", str(out / "eval-state")]
    eval_argv += ["--seed", str(args.seed), "--no-progress"]
    for opt in args.agent_opt:
        eval_argv += ["--agent-opt", opt]
    eval_args = _subcommand(eval_argv)
    code = int(eval_args.handler(eval_args) or 0)
    if code:
        return code

    run_id = (
        "loop-"
        + hashlib.sha1(
            report.read_bytes() + f"|{args.n}|{args.k}|{args.seed}|{args.focus_strength}".encode()
        ).hexdigest()[:12]
    )
    synth_args = _subcommand(
        ["synth", "--taxonomy", args.taxonomy, "--corpus", str(corpus), "--mode", "agentic"]
        + ["-n", str(args.n), "--k", args.k, "--seed", str(args.seed), "-o", str(samples)]
        + ["--focus", str(report), "--focus-strength", str(args.focus_strength)]
        + ["--run-id", run_id]
        + (["--extractor", "tool_calls"] if args.corpus is None else [])
    )
    config = config_from_args(synth_args)
    config.mode_options = {**config.mode_options, "world": world}
    synthesis = run_synthesis(config, pm=pm, progress=False)
    get_synthesis_mode("agentic", pm).export_tasks(
        samples, tasks, seed=args.seed, world=world, pm=pm
    )

    focus = load_focus(report)
    combos = [
        frozenset(json.loads(line)["metadata"]["skills"])
        for line in samples.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    summary: dict[str, Any] = {
        "agent": focus.agent,
        "report": str(report),
        "samples": str(samples),
        "tasks": str(tasks),
        "new_tasks": len(combos),
        "stop_reason": synthesis.stop_reason,
        "targets": summarise(focus, combos, args.top),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"next batch for {focus.agent}: {len(combos)} tasks -> {tasks}")
        for kind, rows in summary["targets"].items():
            text = ", ".join(f"{r['target']} ({r['weight']:.2f}; in {r['new']})" for r in rows)
            print(f"  targeted {kind}: {text or 'none (nothing failed more than the rest)'}")
    return 0 if synthesis.stop_reason == "target reached" else 1
