"""Goal versus recipe instructions for the same plans: how much does the wording give away?

The quickstart's tasks carry goal instructions (:mod:`steps_agents.worlds.goals`). This module
writes the *same* tasks with recipe instructions (numbered tool steps,
:func:`steps_agents.worlds.compose.instruction_for`), runs the ``keyword`` reference agent on
them through the evaluation graph, and puts both next to the oracle and random agents per k.
The keyword agent plans nothing (it calls the tools the words match, in the order they match),
so its pass rate measures what an instruction leaks: high on recipes, low on goals. The plan
rules the composer enforced (``provenance.plan_rejections`` of each task) are summed as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steps_agents.worlds import Task, write_tasks
from steps_agents.worlds.compose import instruction_for

__all__ = [
    "difficulty_table",
    "evaluate_recipe",
    "plan_rejections",
    "recipe_tasks",
    "style_table",
]


def recipe_tasks(tasks: Sequence[Task], world: Any) -> list[Task]:
    """The same tasks (ids, plans, checkers) with recipe instructions."""
    out = []
    for task in tasks:
        difficulty = {**task.provenance.get("difficulty", {}), "style": "recipe"}
        out.append(
            task.model_copy(
                update={
                    "instruction": instruction_for(world, task, "recipe"),
                    "provenance": {**task.provenance, "difficulty": difficulty},
                }
            )
        )
    return out


def evaluate_recipe(
    tasks: Sequence[Task],
    world: Any,
    out: Path,
    *,
    agent: str = "keyword",
    seed: int = 0,
    pm: Any = None,
    taxonomy: Any = None,
    progress: bool = False,
) -> tuple[Any, dict[str, Path]]:
    """Write ``tasks-recipe.jsonl``, evaluate ``agent`` on it (resumable, like every evaluation
    run: ``eval-state/`` under ``out``) and write ``report-recipe.json``."""
    from steps_agents.graphs.evaluation import evaluate

    from steps_agents.evaluation.agents import AgentOptions, resolve_agent
    from steps_agents.evaluation.config import EvalConfig
    from steps_agents.evaluation.report import write_report
    from steps_agents.evaluation.store import file_fingerprint, run_id_for

    files = {
        "tasks_recipe": out / "tasks-recipe.jsonl",
        "report_recipe": out / "report-recipe.json",
    }
    recipes = recipe_tasks(tasks, world)
    write_tasks(files["tasks_recipe"], recipes)
    run_id = run_id_for(file_fingerprint(files["tasks_recipe"]), [agent], seed=seed)
    config = EvalConfig(run_id=run_id, state_dir=out / "eval-state", seed=seed, agent=agent)
    resolved = {agent: resolve_agent(agent, AgentOptions(seed=seed, pm=pm))}
    report, _ = evaluate(
        config,
        recipes,
        resolved,
        taxonomy=taxonomy,
        pm=pm,
        progress=progress,
        meta={"tasks_file": str(files["tasks_recipe"]), "agents": [agent], "style": "recipe"},
    )
    write_report(report, files["report_recipe"])
    return report, files


def _rates(report: Any, agent: str) -> dict[int, tuple[int, int]]:
    for summary in report.agents:
        if summary.agent == agent:
            return {row.k: (row.passed, row.n) for row in summary.per_k}
    return {}


def _cell(rate: tuple[int, int] | None) -> str:
    return "-" if not rate or not rate[1] else f"{100 * rate[0] / rate[1]:.1f}%"


def style_table(report: Any, recipe_report: Any, agent: str = "keyword") -> str:
    """Markdown: per k the pass rates of the goal report's agents and of ``agent`` on the
    recipe versions of the same tasks, then k >= 3 pooled with the recipe/goal ratio."""
    agents = [s.agent for s in report.agents]
    goal = {name: _rates(report, name) for name in agents}
    recipe = _rates(recipe_report, agent)
    heads = [f"{a} (goal)" if a == agent else a for a in agents] + [f"{agent} (recipe)"]
    lines = ["| k | n | " + " | ".join(heads) + " |", "|---" * (len(heads) + 2) + "|"]
    ks = sorted({k for rates in goal.values() for k in rates})
    for k in ks:
        n = max(rates.get(k, (0, 0))[1] for rates in goal.values())
        cells = [_cell(goal[a].get(k)) for a in agents] + [_cell(recipe.get(k))]
        lines.append(f"| {k} | {n} | " + " | ".join(cells) + " |")

    def pooled(rates: dict[int, tuple[int, int]]) -> tuple[int, int]:
        return (
            sum(p for k, (p, _) in rates.items() if k >= 3),
            sum(n for k, (_, n) in rates.items() if k >= 3),
        )

    if any(k >= 3 for k in ks):
        cells = [_cell(pooled(goal[a])) for a in agents] + [_cell(pooled(recipe))]
        lines.append(f"| >=3 | {pooled(goal[agents[0]])[1]} | " + " | ".join(cells) + " |")
        g, r = pooled(goal.get(agent, {})), pooled(recipe)
        if g[1] and r[1]:
            # No goal task passed: a ratio would be infinite, which says less than the counts.
            ratio = "" if g[0] == 0 else f" (recipe/goal {(r[0] / r[1]) / (g[0] / g[1]):.1f}x)"
            lines.append(
                f"\n{agent} agent, k >= 3: {r[0]}/{r[1]} on recipe instructions,"
                f" {g[0]}/{g[1]} on goal instructions for the same plans{ratio}"
            )
    return "\n".join(lines)


def plan_rejections(tasks: Sequence[Task]) -> Counter[str]:
    """Candidate plans the composer redrew, by the plan rule they broke, over all tasks."""
    total: Counter[str] = Counter()
    for task in tasks:
        total.update(task.provenance.get("plan_rejections", {}))
    return total


DIFFICULTY = ("depth", "fan_in", "state_changes", "distractors", "answer_parts")


def difficulty_table(tasks: Sequence[Task]) -> str:
    """Markdown: per k the mean of each ``provenance.difficulty`` fact of the tasks (depth of
    the data flow, fan-in, state changes, distractors, answer parts) and the instruction style."""
    by_k: dict[int, list[dict[str, Any]]] = {}
    for task in tasks:
        by_k.setdefault(task.k, []).append(task.provenance.get("difficulty") or {})
    lines = [
        "| k | n | " + " | ".join(f.replace("_", " ") for f in DIFFICULTY) + " | style |",
        "|---" * (len(DIFFICULTY) + 3) + "|",
    ]
    for k in sorted(by_k):
        rows = by_k[k]
        means = [sum(float(r.get(f, 0)) for r in rows) / len(rows) for f in DIFFICULTY]
        styles = ",".join(sorted({str(r.get("style", "-")) for r in rows}))
        cells = " | ".join(f"{m:.1f}" for m in means)
        lines.append(f"| {k} | {len(rows)} | {cells} | {styles} |")
    return "\n".join(lines)
