"""steps eval TASKS --agent SPEC -o report.json: evaluate an agent on a task file.

Flags override --config steps.toml (its [eval] table, model settings in [eval.model]), which
overrides the defaults.

Resumable: the run id (by default a hash of the task file, the agents and the settings) names
<state-dir>/<run-id>.episodes.jsonl -- one line per finished episode -- and the graph's SQLite
checkpoints, so rerunning the same command after an interruption runs only what is left. The id
does not see an agent's code: after changing it, pass --fresh (or another --run-id).

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
from steps_agents.evaluation.config import EvalConfig, build_eval_config
from steps_agents.models.cli_args import add_model_arguments, flag_of, model_overrides
from steps_agents.runtime.config import flag_for

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
    # Every run setting defaults to None so that a --config value is not overridden; the
    # defaults themselves are EvalConfig's.
    p.add_argument(
        "tasks",
        metavar="TASKS",
        nargs="?",
        help="task file (JSONL: executable tasks or SkillBench); or `tasks` in --config",
    )
    p.add_argument("--config", metavar="TOML", help="steps.toml with an [eval] table")
    p.add_argument("--agent", metavar="SPEC", help=AGENT_HELP)
    p.add_argument("-o", "--output", required=True, metavar="REPORT", help="JSON report to write")
    p.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown")
    p.add_argument("--compare", metavar="SPEC", help="a second agent, compared pairwise")
    p.add_argument("--repeat", type=int, metavar="R", help="runs per task (pass^R; default 1)")
    p.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON for per-community marginals")
    p.add_argument("--step-limit", type=int, help="tool calls per episode (default 50)")
    p.add_argument("--timeout", type=float, help="seconds per episode (default 300)")
    p.add_argument("--run-id", help="resume or name this run (default: derived from the inputs)")
    p.add_argument("--state-dir", help="episodes + checkpoints (default .steps/eval)")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="discard this run id's earlier results (e.g. after changing an agent's code)",
    )
    p.add_argument("--wave", type=int, help="episodes per fan-out wave (default 256)")
    p.add_argument("--concurrency", type=int, help="episodes in flight at once (default 8)")
    p.add_argument("--seed", type=int, help="seed of the random agent and episodes (default 0)")
    p.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where episodes are played: this process, or Ray workers (extra ray; the agent must"
        " pickle); scoring and the episode log stay here, and the scores are the same",
    )
    p.add_argument("--ray-address", help="Ray cluster address (auto, ray://HOST:10001)")
    p.add_argument("--workers", type=int, help="CPUs of a local Ray (default: every core)")
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
    # --timeout and --concurrency are the episodes'; the model calls follow --concurrency
    # unless [eval.model] sets their own.
    add_model_arguments(
        p,
        spec_flag=False,
        rename={"timeout": "--model-timeout"},
        skip=("concurrency",),
        title="model (for model:<spec> agents and the judge)",
    )
    p.set_defaults(handler=run)


# EvalConfig field -> flag, where the two names differ.
_FLAGS = {"repeats": "--repeat", "wave_size": "--wave", "agent_options": "--agent-opt"}


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


def config_from_args(args: argparse.Namespace) -> EvalConfig:
    """The :class:`EvalConfig` of the flags over ``--config`` over the defaults."""
    overrides: dict[str, Any] = {
        "tasks": args.tasks,
        "agent": args.agent,
        "compare": args.compare,
        "agent_options": _agent_opts(args.agent_opt) or None,
        "taxonomy": args.taxonomy,
        "judge": args.judge,
        "repeats": args.repeat,
        "step_limit": args.step_limit,
        "timeout": args.timeout,
        "wave_size": args.wave,
        "concurrency": args.concurrency,
        "seed": args.seed,
        "run_id": args.run_id,
        "state_dir": args.state_dir,
        "model": model_overrides(args) or None,
    }

    def flag(field: str) -> str:
        if field.startswith("model."):
            return flag_of(field.removeprefix("model."), args)
        return _FLAGS.get(field) or flag_for(field)

    config = build_eval_config(args.config, overrides, flag=flag)
    if config.tasks is None:
        raise InputError("no task file given: pass TASKS or set tasks in [eval]", location="TASKS")
    if not config.agent:
        raise InputError(
            "no agent given: pass --agent SPEC or set agent in [eval]", location="--agent"
        )
    if config.compare == config.agent:
        raise InputError("--compare names the same agent as --agent", location="--compare")
    return config


def _open_agents(config: EvalConfig, pm: Any, opened: list[Any]) -> dict[str, Any]:
    """The agents by spec; each model client opened for one is appended to ``opened`` at once,
    so a failure on the second agent still closes the first one's client."""
    from steps_agents.evaluation.agents import AgentOptions, resolve_agent

    params: dict[str, Any] = {}
    if any(spec.startswith("model:") for spec in config.agent_specs):
        params = {"model_options": config.model, "cache_path": config.model_cache_path}
    params.update(config.agent_options)
    options = AgentOptions(seed=config.seed, step_limit=config.step_limit, params=params, pm=pm)
    agents: dict[str, Any] = {}
    for spec in config.agent_specs:
        agents[spec] = resolve_agent(spec, options)
        client = getattr(agents[spec], "client", None)
        if client is not None:
            opened.append(client)
    return agents


def _resume_hint(run_id: str, named: bool, fresh: bool) -> str:
    """How to resume: the same command resumes a named run; a derived id is only the same while
    the task file and settings are, and --fresh would discard the run again."""
    if named and not fresh:
        return "rerun the same command to resume"
    return f"to resume, rerun with --run-id {run_id}" + (" and without --fresh" if fresh else "")


def run(args: argparse.Namespace) -> int:
    from steps_agents.evaluation.report import k_table, to_markdown, write_report
    from steps_agents.evaluation.store import file_fingerprint, run_id_for, state_paths
    from steps_agents.evaluation.texttasks import TextTask
    from steps_agents.evaluation.validity import InvalidTask, read_eval_tasks
    from steps_agents.fileformats import refuse_overwriting
    from steps_agents.graphs.evaluation import evaluate
    from steps_agents.plugin_manager import default_plugin_manager

    config = config_from_args(args)
    assert config.tasks is not None and config.agent is not None  # checked by config_from_args
    if args.ray_address and args.executor != "ray":
        raise InputError("--ray-address needs --executor ray", location="--ray-address")
    refuse_overwriting(
        {"-o": args.output, "--markdown": args.markdown},
        {"TASKS": config.tasks, "--taxonomy": config.taxonomy, "--config": args.config},
    )
    pm = default_plugin_manager()
    task_file = read_eval_tasks(config.tasks, pm)  # a bad line is an invalid task, not fatal
    tasks = task_file.tasks
    taxonomy = None
    if config.taxonomy:
        from steps_agents.taxonomy.artifact import load_taxonomy

        taxonomy = load_taxonomy(config.taxonomy)
    specs = config.agent_specs
    named = config.run_id is not None  # by --run-id or [eval] run_id
    if config.run_id is None:
        config.run_id = run_id_for(
            file_fingerprint(config.tasks),
            specs,
            repeats=config.repeats,
            step_limit=config.step_limit,
            seed=config.seed,
            judge=config.judge,
        )
    opened: list[Any] = []  # every model client this run opens, closed in `finally`
    try:
        judge = None
        if any(isinstance(t, TextTask) for t in tasks):
            if not config.judge:
                raise InputError(
                    "SkillBench text tasks are scored by a judge model: add --judge MODEL"
                )
            from steps_agents.models import open_model

            judge = open_model(
                config.judge, config.model, cache_path=config.model_cache_path, pm=pm
            )
            opened.append(judge)
        agents = _open_agents(config, pm, opened)
        if args.fresh:
            episodes_path, checkpoint_path = state_paths(config.state_dir, config.run_id)
            for path in (episodes_path, checkpoint_path):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        executor = None
        if args.executor == "ray":
            from steps_agents.runtime.parallel import get_executor

            executor = get_executor("ray", address=args.ray_address, workers=args.workers)
        print(
            f"run id {config.run_id} ({_resume_hint(config.run_id, named, args.fresh)})",
            file=sys.stderr,
        )
        report, _ = evaluate(
            config,
            tasks,
            agents,
            judge=judge,
            taxonomy=taxonomy,
            pm=pm,
            progress=not args.no_progress,
            meta={"tasks_file": str(config.tasks), "agents": specs, "judge": config.judge},
            task_file=task_file,
            executor=executor,
        )
        usage = {
            spec: a.client.usage.as_dict()
            for spec, a in agents.items()
            if getattr(a, "client", None) is not None
        }
        if judge is not None:
            usage["judge"] = judge.usage.as_dict()
    finally:
        for client in reversed(opened):
            client.close()
    if usage:
        report.meta["model_usage"] = usage
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_report(report, output)
    invalid = report.meta.get("invalid_tasks") or []
    for item in invalid[:10]:  # on stderr, so --json output stays one JSON document
        print(InvalidTask(**item).line(), file=sys.stderr)
    if invalid:
        print(
            f"{len(invalid)} invalid tasks left out (not a valid task, or their own oracle fails);"
            f" {report.meta.get('valid_tasks')} evaluated; listed in the report's meta.invalid_tasks",
            file=sys.stderr,
        )
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
