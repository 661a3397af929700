"""steps loop TASKS --agent SPEC --taxonomy T -n N -o DIR: from evaluation back to data.

One turn of the loop, in one command: steps eval runs the agent on the task file
(DIR/report.json, resumable), then steps synth --focus DIR/report.json synthesises the
next batch of executable tasks in the same skill world, steered toward the skills, pairs and
communities the agent failed and holding none of the evaluated skill sets (steps synth
--exclude TASKS; DIR/samples.jsonl, exported as DIR/tasks.jsonl), and a
short summary says what was targeted and how much of the new batch holds it. Both stages are
the subcommands themselves, so every flag means what it means there; rerunning resumes both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from steps_agents.cli.focus_summary import format_targets, summarise
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
    p.add_argument(
        "--k",
        help="skills per new task (default: the range of TASKS, the k the agent was tested at)",
    )
    p.add_argument("--focus-strength", type=float, help="as for steps synth (default 6)")
    p.add_argument("--corpus", help="seed-example corpus (default: the world's bundled corpus)")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of both stages (default 0); the synthesis mixes in the report, so each turn's"
        " batch differs",
    )
    p.add_argument(
        "--agent-opt", action="append", default=[], metavar="KEY=VALUE", help="as for steps eval"
    )
    p.add_argument("--top", type=int, default=5, help="targets listed per kind (default 5)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def _subcommand(argv: list[str]) -> argparse.Namespace:
    from steps_agents.cli import build_parser

    return build_parser().parse_args(argv)


def _evaluated(tasks: str) -> tuple[str, list[int], set[str], set[str]]:
    """The task file's world, its k values, and its task ids and instructions (to tell the new
    batch from it)."""
    from steps_agents.fileformats import iter_json_lines

    world, ks, ids, texts = None, set(), set(), set()
    for location, row in iter_json_lines(tasks):
        name = row.get("world") if isinstance(row, dict) else None
        if not isinstance(name, str):
            raise InputError("not an executable task (no 'world')", location=location)
        world = world or name
        ks.add(len(row.get("skills") or ()))
        ids.add(str(row.get("id")))
        texts.add(str(row.get("instruction")))
    if world is None:
        raise InputError("no tasks", location=tasks)
    return world, sorted(k for k in ks if k > 0), ids, texts


# What of a report's meta decides the evaluation's results. Left out: paths (the tasks and episodes
# files, invalid tasks' locations), the executor, and how many episodes a rerun resumed.
_RESULT_META = (
    "repeats",
    "step_limit",
    "timeout",
    "seed",
    "worlds",
    "valid_tasks",
    "agents",
    "judge",
)


def _report_identity(report: Path) -> bytes:
    """The report's results and the settings that decide them, without where its files were or
    whether the evaluation was resumed: a rerun of the loop gets the same run id and seed."""
    body = json.loads(report.read_text(encoding="utf-8"))
    meta = body.pop("meta", None)
    if isinstance(meta, dict):
        body["meta"] = {k: meta.get(k) for k in _RESULT_META}
        body["meta"]["invalid_tasks"] = len(meta.get("invalid_tasks") or ())
    return json.dumps(body, sort_keys=True).encode()


def run(args: argparse.Namespace) -> int:
    from steps_agents.cli.synth import config_from_args
    from steps_agents.graphs.synthesis import run_synthesis
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_skill_world, get_synthesis_mode
    from steps_agents.selection.focus import load_focus
    from steps_agents.selection.focused import DEFAULT_STRENGTH

    strength = DEFAULT_STRENGTH if args.focus_strength is None else args.focus_strength
    world, tested_ks, old_ids, old_texts = _evaluated(args.tasks)
    ks = args.k or (f"{tested_ks[0]}-{tested_ks[-1]}" if tested_ks else "1-7")
    if args.n < 1:
        raise InputError(f"must be at least 1, got {args.n}", location="-n")
    out = Path(args.output)
    report, samples, tasks = out / "report.json", out / "samples.jsonl", out / "tasks.jsonl"
    pm = default_plugin_manager()
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

    digest = hashlib.sha1(
        _report_identity(report) + f"|{args.n}|{ks}|{args.seed}|{strength}".encode()
    )
    run_id = "loop-" + digest.hexdigest()[:12]
    # The evaluated tasks came from some seed, often this one: the same seed would compose the
    # same skill sets into the same tasks. Their sets are excluded, and the report's digest
    # seeds the batch (the same report and flags give the same batch, wherever the files are).
    synth_seed = int(digest.hexdigest()[12:20], 16) & 0x3FFFFFFF
    synth_args = _subcommand(
        ["synth", "--taxonomy", args.taxonomy, "--corpus", str(corpus), "--mode", "agentic"]
        + ["-n", str(args.n), "--k", ks, "--seed", str(synth_seed), "-o", str(samples)]
        + ["--focus", str(report), "--focus-strength", str(strength)]
        + ["--run-id", run_id, "--exclude", str(args.tasks)]
        + (["--extractor", "tool_calls"] if args.corpus is None else [])
    )
    config = config_from_args(synth_args)
    config.mode_options = {**config.mode_options, "world": world}
    synthesis = run_synthesis(config, pm=pm, progress=False)
    get_synthesis_mode("agentic", pm).export_tasks(
        samples, tasks, seed=synth_seed, world=world, pm=pm
    )
    new_rows = [json.loads(line) for line in tasks.read_text(encoding="utf-8").splitlines() if line]
    repeated = sum(
        str(r.get("id")) in old_ids or str(r.get("instruction")) in old_texts for r in new_rows
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
        "k": ks,
        "repeated_from_tasks": repeated,
        "stop_reason": synthesis.stop_reason,
        "targets": summarise(focus, combos, args.top),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"next batch for {focus.agent}: {len(combos)} tasks (k = {ks}) -> {tasks}")
        if repeated:
            print(
                f"  warning: {repeated} new tasks repeat a task of {args.tasks} (id or instruction)"
            )
        for line in format_targets(summary["targets"], focus.agent, "tasks of the next batch"):
            print(line)
    return 0 if synthesis.stop_reason == "target reached" else 1
