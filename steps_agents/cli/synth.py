"""``steps synth``: k-skill data synthesis with the LangGraph graph (planner, composer,
generator, critic, writer), and ``steps synth export`` to reorder or convert the output.

Flags override ``--config steps.toml`` (its ``[synth]`` table), which overrides the defaults.
Exit codes: 0 done (target reached), 1 a run that stopped short (budget spent, no more
combinations) or whose model failed for every request (an outage after the retries, a bad key,
an unknown model: one ``error:`` line, every sample decided before it kept), 2 bad input, 130
interrupted (rerun with the same ``--run-id`` to resume).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from steps_agents.cli import debugging
from steps_agents.cli.focus_summary import report_ks
from steps_agents.cli.select import add_focus_arguments, focus_options
from steps_agents.errors import InputError, StepsError
from steps_agents.models import add_model_arguments
from steps_agents.models.cli_args import model_overrides

# Flags whose argparse default must stay None so that a config file value is not overridden.
_OVERRIDES = [
    "taxonomy",
    "corpus",
    "n",
    "k",
    "selector",
    "beam",
    "exclude",
    "mode",
    "instructions",
    "model",
    "output",
    "format",
    "judges",
    "judge_model",
    "max_revisions",
    "budget",
    "wave_size",
    "run_id",
    "state_dir",
    "seed",
    "language",
    "extractor",
    "per_skill",
    "executor",
    "ray_address",
    "workers",
]


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "synth",
        help="synthesise k-skill training samples (instruct, agentic, ...)",
        description="Synthesise k-skill samples: selector -> seed examples -> model -> judges"
        " -> JSONL. Resumable with --run-id.",
    )
    parser.add_argument("--config", metavar="TOML", help="steps.toml with a [synth] table")
    parser.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON from `steps taxonomy`")
    parser.add_argument("--corpus", metavar="SOURCE", help="corpus to draw seed examples from")
    parser.add_argument("-n", type=int, metavar="N", help="accepted samples to produce")
    parser.add_argument(
        "--k",
        metavar="KS",
        help="skills per sample: a range 2-7 (default; with --focus, the k range the report's"
        " agent was evaluated at), a list 2,3,5, or both",
    )
    parser.add_argument("--selector", help="combination selector (default steps)")
    parser.add_argument("--beam", type=int, help="selector beam width")
    add_focus_arguments(parser)
    parser.add_argument(
        "--exclude",
        metavar="FILE",
        help="a combinations, samples or tasks file whose skill sets this run never chooses"
        " (a split's test.jsonl, tasks already evaluated)",
    )
    parser.add_argument("--mode", help="synthesis mode (default instruct)")
    parser.add_argument(
        "--instructions",
        choices=["goal", "recipe", "model"],
        help="agentic mode: goal (default without --model), recipe (numbered tool steps) or"
        " model (a model rewrites the goal; default with --model)",
    )
    parser.add_argument(
        "--world", help="agentic mode: the skill world to compose tasks in (default toolworld)"
    )
    parser.add_argument(
        "--mode-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a [synth.mode_options] entry (VALUE read as JSON, else text); repeatable",
    )
    parser.add_argument(
        "--judge-opt",
        action="append",
        default=[],
        metavar="JUDGE.KEY=VALUE",
        help="a [synth.judge_options.JUDGE] entry (VALUE read as JSON, else text); repeatable",
    )
    parser.add_argument(
        "--tasks",
        metavar="FILE",
        help="agentic mode: also write the accepted samples' tasks to FILE (for steps eval)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="output JSONL (default synth.jsonl)")
    parser.add_argument("--format", help="output format: messages (default), sharegpt, alpaca")
    parser.add_argument(
        "--judges", metavar="A,B", help="judges (default format,language,coverage,dedup)"
    )
    parser.add_argument(
        "--judge-model", metavar="SPEC", help="model for model judges (default --model)"
    )
    parser.add_argument("--max-revisions", type=int, help="revision rounds per item (default 2)")
    parser.add_argument("--budget", type=int, metavar="CALLS", help="model-call budget for the run")
    parser.add_argument(
        "--wave-size",
        type=int,
        help="items per planned wave (default max(8, --concurrency); up to 8 waves queued)",
    )
    parser.add_argument("--run-id", help="run id; pass an interrupted run's id to resume it")
    parser.add_argument("--state-dir", help="checkpoints and cache (default <output>.state/)")
    parser.add_argument("--seed", type=int, help="random seed (default 0)")
    parser.add_argument("--language", help="language of the samples (default en)")
    parser.add_argument("--extractor", help="skill extractor for the corpus (default auto)")
    parser.add_argument("--per-skill", type=int, help="seed examples kept per skill (default 3)")
    parser.add_argument(
        "--curriculum", action="store_true", default=None, help="mix k by the curriculum schedule"
    )
    parser.add_argument(
        "--overwrite", action="store_true", default=None, help="truncate an existing output"
    )
    parser.add_argument(
        "--singles",
        action="store_true",
        default=None,
        help="once the N samples are written, add (on top of N) a k = 1 task for every skill the"
        " k >= 2 ones use and no k = 1 one covers, so each k >= 2 task's compositional gap is"
        " measurable; skills the mode cannot compose alone are listed in the report",
    )
    parser.add_argument("--json", action="store_true", help="print the run report as JSON")
    parser.add_argument(
        "--executor",
        choices=("local", "ray"),
        help="where model calls are sent from: this process (default) or Ray workers, each with"
        " its share of --concurrency and --budget (extra ray); same samples either way",
    )
    parser.add_argument("--ray-address", help="Ray cluster address (auto, ray://HOST:10001)")
    parser.add_argument("--workers", type=int, help="Ray workers (default: the CPUs of Ray)")
    add_model_arguments(parser)  # its flags default to None: a config file value gets through
    parser.set_defaults(handler=run)
    commands = parser.add_subparsers(dest="synth_command", metavar="[export]")
    export = commands.add_parser(
        "export",
        help="reorder (--curriculum) or convert (.parquet, dataset dir) a synth output",
        description="Write a synth output again: curriculum order and/or Parquet (extra"
        " parquet) or a Hugging Face dataset directory (extra hf).",
    )
    export.add_argument("source", help="a synth output JSONL")
    export.add_argument(
        "-o",
        "--output",
        dest="destination",
        required=True,
        help="FILE.jsonl, FILE.parquet or a directory",
    )
    export.add_argument(
        "--curriculum", action="store_true", help="order by the curriculum schedule"
    )
    export.add_argument("--epochs", type=int, default=3, help="curriculum epochs (default 3)")
    export.add_argument("--json", action="store_true", help="print a JSON summary")
    export.set_defaults(handler=run_export)


def world_corpus(source: str | None) -> str | None:
    """``source``, or the bundled corpus of the skill world named ``source`` when no such file
    exists (``--corpus toolworld``, as the quickstart reads it)."""
    if not source or Path(source).exists():
        return source
    from steps_agents.plugin_manager import default_plugin_manager

    pm = default_plugin_manager()
    try:
        from steps_agents.registry import get_skill_world

        bundled = getattr(get_skill_world(source, pm), "corpus", None)
    except (InputError, KeyError, LookupError):
        return source
    return str(bundled) if bundled else source


def config_from_args(args: argparse.Namespace) -> Any:
    from steps_agents.synthesis.config import build_config

    overrides = {name: getattr(args, name, None) for name in _OVERRIDES}
    overrides["corpus"] = world_corpus(overrides["corpus"])
    overrides["curriculum"] = args.curriculum
    overrides["overwrite"] = args.overwrite
    overrides["singles"] = getattr(args, "singles", None)
    focus = focus_options(args)
    if focus:
        overrides["selector"], overrides["selector_options"] = "focus", focus
        if overrides["k"] is None and not args.config:  # the k the agent was evaluated at
            overrides["k"] = report_ks(args.focus, args.focus_agent)
    overrides.update(model_overrides(args))
    config = build_config(args.config, overrides)
    if config.selector == "focus" and "focus_band" not in config.selector_options:
        # A run asks the selector for a few sets at a time, excluding those it already chose:
        # the focus gain band then spans the run, not each small request.
        config.selector_options = {**config.selector_options, "focus_band": "run"}
    mode_options = dict(_key_values(getattr(args, "mode_opt", None) or [], "--mode-opt"))
    if getattr(args, "world", None):
        mode_options["world"] = args.world
    if mode_options:
        config.mode_options = {**config.mode_options, **mode_options}
    judge_options = {name: dict(table) for name, table in config.judge_options.items()}
    for key, value in _key_values(getattr(args, "judge_opt", None) or [], "--judge-opt"):
        judge, dot, option = key.partition(".")
        if not dot or not judge or not option:
            raise InputError(f"--judge-opt {key}=...: expected JUDGE.KEY=VALUE, e.g. plan.draws=8")
        judge_options.setdefault(judge, {})[option] = value
    if judge_options != config.judge_options:
        config.judge_options = judge_options
    return config


def _key_values(pairs: list[str], flag: str) -> list[tuple[str, Any]]:
    """``KEY=VALUE`` flags as pairs; VALUE is read as JSON (``8``, ``true``, ``[1, 2]``) and
    kept as text when it is not JSON (``world=bank``)."""
    parsed = []
    for pair in pairs:
        key, eq, text = pair.partition("=")
        if not eq or not key.strip():
            raise InputError(f"{flag} {pair!r}: expected KEY=VALUE")
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text
        parsed.append((key.strip(), value))
    return parsed


def run(args: argparse.Namespace) -> int:
    from steps_agents.graphs.synthesis import run_synthesis

    config = config_from_args(args)
    if config.curriculum and not config.k_weights:
        from steps_agents.selection.curriculum import DEFAULT_K, curriculum_k_weights

        weights = dict(zip(DEFAULT_K, curriculum_k_weights(), strict=True))
        config.k_weights = {k: w for k, w in weights.items() if k in config.ks}
    named = config.run_id is not None  # by --run-id or [synth] run_id
    if config.run_id is None:
        from steps_agents.synthesis.setup import new_run_id

        config.run_id = new_run_id()
    _preflight(config, quiet=args.json, tasks=getattr(args, "tasks", None))
    if not args.json:
        print(
            f"run {config.run_id}: {config.n} {config.mode} samples -> {config.output}"
            f" (if interrupted, {_resume_hint(config.run_id, named)})",
            file=sys.stderr,
        )
    try:
        report = run_synthesis(config)
    except KeyboardInterrupt:
        print(f"interrupted; {_resume_hint(config.run_id, named)}", file=sys.stderr)
        return 130
    except StepsError as exc:
        if debugging() or exc.exit_code != 1:
            raise  # bad input (exit 2): the run never started, there is nothing to resume
        # The run started: name its id (also with --json, where no header was printed).
        print(f"error: {exc}", file=sys.stderr)
        print(f"run {config.run_id} stopped; {_resume_hint(config.run_id, named)}", file=sys.stderr)
        if args.json:
            failed = {"run_id": config.run_id, "error": str(exc), "exit_code": exc.exit_code}
            print(json.dumps(failed))
        return exc.exit_code
    if getattr(args, "tasks", None):
        _write_tasks(config, args.tasks, quiet=args.json)
    if args.json:
        print(report.to_json())
    else:
        print(report.text())
        if args.focus:
            _print_focus(args, config.output)
        if report.stop_reason != "target reached":
            print(f"resume or extend with: --run-id {report.run_id}", file=sys.stderr)
    return 0 if report.stop_reason == "target reached" else 1


def _print_focus(args: argparse.Namespace, samples: Path) -> None:
    """What ``--focus`` targeted and how many of the run's samples hold each target."""
    from steps_agents.cli.focus_summary import format_targets, summarise
    from steps_agents.selection.focus import load_focus
    from steps_agents.selection.record_sets import read_records

    focus = load_focus(args.focus, args.focus_agent)
    combos = read_records(str(samples))[2] if samples.is_file() and samples.stat().st_size else []
    for line in format_targets(summarise(focus, combos, top=5), focus.agent, "samples of this run"):
        print(line)


def _resume_hint(run_id: str, named: bool) -> str:
    """How to resume: the same command when the run id was given, else the id to add."""
    if named:
        return f"rerun the same command (--run-id {run_id}) to resume"
    return f"rerun with --run-id {run_id} to resume"


# The agentic mode's world when none is named (plugins/agentic_mode.py's DEFAULT_WORLD; the
# CLI layer does not import plugins).
DEFAULT_WORLD = "toolworld"


def _preflight(config: Any, *, quiet: bool, tasks: str | None = None) -> None:
    """Resolve what the run names before announcing it, so that a misspelt component or a
    missing taxonomy is the only line printed (no "rerun with --run-id" for a run that never
    started; ``open_run`` would raise the same errors a moment later). For a mode that writes
    tasks in a world, warn when at least half the taxonomy's skills are not tools of that
    world: combinations holding them cannot be composed, so the run mostly asks for
    replacements and may stop short."""
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import (
        get_judge,
        get_output_format,
        get_skill_world,
        get_synthesis_mode,
    )
    from steps_agents.synthesis.modes import mode_options

    if config.model or config.judge_model:
        config.model_options().api_key()  # the key variable named but unset: one line, no header
    pm = default_plugin_manager()
    mode = get_synthesis_mode(config.mode, pm)
    options = mode_options(mode, config.mode_settings)  # a bad option: one line, nothing run
    get_output_format(config.format, pm)
    for name in config.judges:
        get_judge(name, pm)
    if config.taxonomy is None or not Path(config.taxonomy).is_file():
        where = (
            "no taxonomy given" if config.taxonomy is None else f"{config.taxonomy}: no such file"
        )
        raise InputError(f"{where}; build one with `steps taxonomy build`", location="--taxonomy")
    if tasks and not hasattr(mode, "export_tasks"):
        raise InputError(f"synthesis mode {config.mode!r} writes no tasks", location="--tasks")
    if mode.needs_model and not config.model:
        raise InputError(
            f"the {mode.name!r} mode needs a model: pass --model SPEC (PROVIDER:MODEL,"
            " MODULE:ATTRIBUTE, or a name with --base-url)"
            + (
                "; a focus report's tasks come from --mode agentic"
                if config.selector == "focus"
                else ""
            ),
            location="--model",
        )
    if config.exclude is not None:  # a bad line of it is the only line printed
        from steps_agents.selection.record_sets import read_skill_sets

        read_skill_sets(config.exclude)
    if not hasattr(mode, "export_tasks"):
        return
    world = get_skill_world(str(options.get("world", DEFAULT_WORLD)), pm)
    from steps_agents.taxonomy.artifact import load_taxonomy

    skills = load_taxonomy(config.taxonomy).skills
    tools = {spec.name for spec in world.tool_specs()}
    foreign = [skill for skill in skills if skill not in tools]
    if skills and 2 * len(foreign) >= len(skills) and not quiet:
        print(
            f"warning: {len(foreign)} of {len(skills)} taxonomy skills are not tools of world"
            f" {world.name!r} (e.g. {', '.join(foreign[:3])}); combinations holding them are"
            " uncomposable. Build the taxonomy from this world's trajectories, or pass --world.",
            file=sys.stderr,
        )


def _write_tasks(config: Any, destination: str, *, quiet: bool) -> None:
    """``--tasks FILE``: the run's accepted samples as tasks of its world, recomposed with its
    seed (the mode's ``export_tasks``; :func:`_preflight` refused a mode without one)."""
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_synthesis_mode

    pm = default_plugin_manager()
    mode = get_synthesis_mode(config.mode, pm)
    world = config.mode_options.get("world")
    extra = {"world": world} if world else {}
    count = mode.export_tasks(config.output, destination, seed=config.seed, pm=pm, **extra)
    if not quiet:
        print(f"wrote {count} tasks to {destination}", file=sys.stderr)


def run_export(args: argparse.Namespace) -> int:
    from steps_agents.synthesis.export import export_samples

    count = export_samples(
        args.source, args.destination, curriculum=args.curriculum, epochs=args.epochs
    )
    if args.json:
        print(json.dumps({"written": count, "output": args.destination}))
    else:
        print(f"wrote {count} samples to {args.destination}")
    return 0
