"""A test agent plugin that fails every task holding two given skills, and the steps of the
focus experiment around it (shared by tests/test_focus_loop.py and benchmarks/focus.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import steps_agents
from steps_agents import plugin_manager
from steps_agents.cli import main
from steps_agents.evaluation.agents import AgentInput, AgentOptions, AgentOutput
from steps_agents.hookspecs import Register
from steps_agents.selection import select_combinations
from steps_agents.selection.curriculum import k_plan
from steps_agents.taxonomy.artifact import Taxonomy
from steps_agents.worlds import oracle_answer, resolve_refs


class PairFailingAgent:
    """Runs the oracle plan and answers as the oracle would, except on a task holding both
    ``skills``: there it leaves out the plan's last step and answers wrongly, so the task fails
    whether its checker reads the answer or the final state. One skill at most goes uncalled,
    so no pair of skills fails together (the report's co-failure table stays quiet): the
    failure is the composition's, visible only in pass/fail."""

    name = "fails-pair"
    reference = True  # replays the task's plan

    def __init__(self, skills: tuple[str, str]) -> None:
        self.skills = frozenset(skills)

    async def arun(self, episode: AgentInput) -> AgentOutput:
        task = episode.task
        failing = self.skills <= set(task.skills)
        steps = task.oracle[:-1] if failing else task.oracle
        results: dict[str, Any] = {}
        for step in steps:
            results[step.id] = episode.call(step.tool, resolve_refs(step.args, results))
        if failing:
            return AgentOutput(answer="not the answer")
        return AgentOutput(answer=oracle_answer(task, results))


class PairFailingPlugin:
    """Registers ``fails-pair``; ``--agent-opt skills=[a, b]`` picks the pair."""

    def __init__(self, skills: tuple[str, str]) -> None:
        self.skills = skills

    @steps_agents.hookimpl
    def register_agents(self, register: Register) -> None:
        def factory(options: AgentOptions) -> PairFailingAgent:
            return PairFailingAgent(tuple(options.params.get("skills", self.skills)))  # type: ignore[arg-type]

        register(factory, name="fails-pair")


def world_corpus() -> Path:
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_skill_world

    return Path(get_skill_world("toolworld", default_plugin_manager()).corpus)


def build_world_taxonomy(out: Path) -> Path:
    """The quickstart's taxonomy of the toolworld trajectories (tool_calls, height 3, seed 0)."""
    path = out / "taxonomy.json"
    argv = ["taxonomy", "build", str(world_corpus()), "--extractor", "tool_calls"]
    assert main([*argv, "--height", "3", "--seed", "0", "-o", str(path)]) == 0
    return path


def synth_tasks(
    out: Path, taxonomy: Path, name: str, n: int, seed: int, *extra: str, ks: str = "1-7"
) -> list[dict]:
    """``steps synth --mode agentic`` in toolworld, k = ``ks``; the accepted samples' metadata.
    Exit 1 (stopped short) is allowed: the rows say how many were accepted."""
    path = out / f"{name}.jsonl"
    argv = ["synth", "--taxonomy", str(taxonomy), "--corpus", str(world_corpus())]
    argv += ["--extractor", "tool_calls", "--mode", "agentic", "-n", str(n), "--k", ks]
    assert main([*argv, "--seed", str(seed), "-o", str(path), "--run-id", name, *extra]) in (0, 1)
    return [json.loads(line)["metadata"] for line in path.read_text().splitlines()]


def export_tasks(samples: Path, tasks: Path, seed: int = 0) -> None:
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_synthesis_mode

    pm = default_plugin_manager()
    get_synthesis_mode("agentic", pm).export_tasks(samples, tasks, seed=seed, pm=pm)


@contextmanager
def failing_agent(skills: tuple[str, str]) -> Iterator[None]:
    """Make ``fails-pair`` (failing tasks that hold ``skills``) resolvable by the CLI."""
    saved = plugin_manager._DEFAULT
    plugin_manager._DEFAULT = plugin_manager.get_plugin_manager(
        load_entrypoints=False, extra_plugins=(PairFailingPlugin(skills),)
    )
    try:
        yield
    finally:
        plugin_manager._DEFAULT = saved


def evaluate_failing(tasks: Path, taxonomy: Path, skills: tuple[str, str], report: Path) -> None:
    """``steps eval`` of ``fails-pair`` on ``tasks``, report to ``report``."""
    argv = ["eval", str(tasks), "--agent", "fails-pair", "-o", str(report), "--no-progress"]
    argv += ["--taxonomy", str(taxonomy), "--state-dir", str(report.with_suffix(".state"))]
    with failing_agent(skills):
        assert main(argv) == 0


def holding(rows: list[dict], skills: tuple[str, str]) -> int:
    """How many combinations hold both ``skills``."""
    return sum(set(skills) <= set(r["skills"]) for r in rows)


def mean_gain(rows: list[dict]) -> float:
    return sum(r["gain"] for r in rows) / len(rows)


def at_plain_mix(plain: list[dict], focus: list[dict]) -> float:
    """The gain change with each k's mean gain weighted by plain's count of that k (over the k
    both sides have)."""

    def by_k(rows: list[dict]) -> dict[int, list[float]]:
        out: dict[int, list[float]] = {}
        for r in rows:
            out.setdefault(len(r["skills"]), []).append(r["gain"])
        return out

    p, f = by_k(plain), by_k(focus)
    ks = [k for k in p if k in f]
    before = sum(sum(p[k]) for k in ks)
    after = sum(len(p[k]) * sum(f[k]) / len(f[k]) for k in ks)
    return after / before - 1


def gain_change(plain: list[dict], focus: list[dict]) -> float:
    """The focused run's mean gain per combination over plain's: the batch's when both ended
    with the same k mix, else at plain's k mix (the synthesis planner decides which k it keeps;
    the selector keeps each request's k plan)."""
    mix = Counter(len(r["skills"]) for r in plain), Counter(len(r["skills"]) for r in focus)
    if mix[0] == mix[1]:
        return mean_gain(focus) / mean_gain(plain) - 1
    return at_plain_mix(plain, focus)


def first_wave(
    tax: Taxonomy,
    n: int,
    seed: int,
    per_request: int | None = None,
    ks: tuple[int, ...] = tuple(range(1, 8)),
    **kw: object,
) -> list[dict]:
    """The composer's requests without rejections: per k its planned count, seed ``seed + k``;
    with ``per_request``, in waves of that many sets per k (seed ``seed + 7919 * wave + k``),
    as ``steps synth`` asks (its waves of 8 items over 7 k give 1 or 2 per k)."""
    used: set[frozenset[str]] = set()
    rows: list[dict] = []
    left = Counter(k_plan(n, list(ks), None, seed=seed))
    wave = 0
    while any(left.values()):
        for k in sorted(left):
            count = min(left[k], per_request or left[k])
            if not count:
                continue
            got = select_combinations(
                tax,
                n=count,
                k=(k,),
                seed=seed + 7919 * wave + k,
                exclude=used,
                **kw,  # type: ignore[arg-type]
            )
            used.update(c.key() for c in got)
            rows += [{"skills": list(c.skills), "gain": c.gain} for c in got]
            left[k] -= count
        wave += 1
    return rows
