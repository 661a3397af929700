"""``steps eval TASKS --agent SPEC -o report.json``: evaluate an agent on a task file.

Resumable: the run id (by default a hash of the task file, the agents and the settings) names
``<state-dir>/<run-id>.episodes.jsonl`` -- one line per finished episode -- and the graph's
SQLite checkpoints, so rerunning the same command after an interruption runs only what is left. The id does not
see an agent's code: after changing it, pass --fresh (or another --run-id).

A LangGraph agent (path/to/file.py:graph) is invoked with {"messages": [the instruction]} and
finds the episode's tools, as LangChain tools, in config["configurable"]["tools"]; its answer is
the last message of the output "messages".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.models.cli_args import add_model_arguments, model_options_from_args

AGENT_HELP = (
    "a registered agent (oracle, random, or a plugin's), model:<model spec> for a tool-calling"
    " chat model (e.g. model:openai:gpt-4o-mini), or path/to/file.py:graph for a LangGraph graph"
)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "eval",
        help="evaluate an agent on k-skill tasks (pass rate per k, coverage, attribution)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "tasks", metavar="TASKS", help="task file (JSONL: executable tasks or SkillBench)"
    )
    p.add_argument("--agent", required=True, metavar="SPEC", help=AGENT_HELP)
    p.add_argument("-o", "--output", required=True, metavar="REPORT", help="JSON report to write")
    p.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown")
    p.add_argument("--compare", metavar="SPEC", help="a second agent, compared pairwise")
    p.add_argument("--repeat", type=int, default=1, metavar="R", help="runs per task (pass^R)")
    p.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON for per-community marginals")
    p.add_argument("--step-limit", type=int, default=50, help="tool calls per episode (50)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per episode (300)")
    p.add_argument("--run-id", help="resume or name this run (default: derived from the inputs)")
    p.add_argument(
        "--state-dir", default=".steps/eval", help="episodes + checkpoints (.steps/eval)"
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="discard this run id's earlier results (e.g. after changing an agent's code)",
    )
    p.add_argument("--wave", type=int, default=64, help="episodes per fan-out wave (64)")
    p.add_argument("--concurrency", type=int, default=8, help="episodes in flight at once (8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random agent and episodes")
    p.add_argument(
        "--agent-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="option for a registered agent's factory (repeatable; VALUE read as JSON if it can"
        " be), e.g. --agent-opt calls=5 for random",
    )
    p.add_argument("--judge", metavar="MODEL", help="judge model for SkillBench text tasks")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    # --timeout and --concurrency are the episodes' (the model calls share --concurrency).
    add_model_arguments(
        p,
        spec_flag=False,
        rename={"timeout": "--model-timeout"},
        skip=("concurrency",),
        title="model (for model:<spec> agents and the judge)",
    )
    p.set_defaults(handler=run)


def _positive(value: float, flag: str) -> None:
    if value <= 0:
        raise InputError("must be positive", location=flag)


def _model_params(args: argparse.Namespace, state_dir: Path) -> dict[str, Any]:
    return {
        "model_options": model_options_from_args(args, concurrency=args.concurrency),
        "cache_path": state_dir / "model-cache.sqlite",
    }


def _agent_opts(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected KEY=VALUE, got {item!r}", location="--agent-opt")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def run(args: argparse.Namespace) -> int:
    from steps_agents.evaluation.agents import AgentOptions, resolve_agent
    from steps_agents.evaluation.report import k_table, to_markdown, write_report
    from steps_agents.evaluation.store import file_fingerprint, run_id_for, state_paths
    from steps_agents.evaluation.texttasks import TextTask, load_eval_tasks
    from steps_agents.graphs.evaluation import evaluate
    from steps_agents.plugin_manager import default_plugin_manager

    for value, flag in ((args.repeat, "--repeat"), (args.step_limit, "--step-limit")):
        _positive(value, flag)
    for value, flag in ((args.wave, "--wave"), (args.concurrency, "--concurrency")):
        _positive(value, flag)
    _positive(args.timeout, "--timeout")
    specs = [args.agent] + ([args.compare] if args.compare else [])
    if args.compare and args.compare == args.agent:
        raise InputError("--compare names the same agent as --agent", location="--compare")
    pm = default_plugin_manager()
    tasks = load_eval_tasks(args.tasks, pm)
    state_dir = Path(args.state_dir)
    taxonomy = None
    if args.taxonomy:
        from steps_agents.taxonomy.artifact import load_taxonomy

        taxonomy = load_taxonomy(args.taxonomy)
    judge = None
    if any(isinstance(t, TextTask) for t in tasks):
        if not args.judge:
            raise InputError("SkillBench text tasks are scored by a judge model: add --judge MODEL")
        from steps_agents.models import open_model

        judge = open_model(
            args.judge,
            model_options_from_args(args, concurrency=args.concurrency),
            cache_path=state_dir / "model-cache.sqlite",
            pm=pm,
        )
    params = _model_params(args, state_dir) if any(s.startswith("model:") for s in specs) else {}
    params.update(_agent_opts(args.agent_opt))
    options = AgentOptions(seed=args.seed, step_limit=args.step_limit, params=params, pm=pm)
    agents = {spec: resolve_agent(spec, options) for spec in specs}
    run_id = args.run_id or run_id_for(
        file_fingerprint(args.tasks),
        specs,
        repeats=args.repeat,
        step_limit=args.step_limit,
        seed=args.seed,
        judge=args.judge,
    )
    if args.fresh:
        episodes_path, checkpoint_path = state_paths(state_dir, run_id)
        for path in (episodes_path, checkpoint_path):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"run id {run_id} (rerun the same command to resume)", file=sys.stderr)
    report, _ = evaluate(
        tasks,
        agents,
        run_id=run_id,
        state_dir=state_dir,
        repeats=args.repeat,
        step_limit=args.step_limit,
        timeout=args.timeout,
        wave_size=args.wave,
        concurrency=args.concurrency,
        seed=args.seed,
        judge=judge,
        taxonomy=taxonomy,
        compare=(args.agent, args.compare) if args.compare else None,
        pm=pm,
        progress=not args.no_progress,
        meta={"tasks_file": str(args.tasks), "agents": specs, "judge": args.judge},
    )
    clients = {spec: getattr(a, "client", None) for spec, a in agents.items()}
    usage = {spec: c.usage.as_dict() for spec, c in clients.items() if c is not None}
    if judge is not None:
        usage["judge"] = judge.usage.as_dict()
        judge.close()
    for client in clients.values():
        if client is not None:
            client.close()
    if usage:
        report.meta["model_usage"] = usage
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_report(report, output)
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(report), encoding="utf-8")
    if args.json:
        print(report.to_json())
        return 0
    for summary in report.agents:
        print(f"agent {summary.agent}")
        print(k_table(summary))
        print()
    if report.comparison is not None:
        c = report.comparison
        print(
            f"{c.agent_a} vs {c.agent_b} on {c.pairs} paired episodes: {c.only_a} passed only by"
            f" {c.agent_a}, {c.only_b} only by {c.agent_b}; exact McNemar p = {c.p_mcnemar:.3g};"
            f" {c.verdict}"
        )
    print(f"report: {output}" + (f", {args.markdown}" if args.markdown else ""))
    sys.stdout.flush()
    return 0
