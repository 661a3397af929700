"""How mechanical do the quickstart's tasks read? Counts of realism marks over a task file.

    steps quickstart -o out && python benchmarks/task_realism.py out/tasks.jsonl
    python benchmarks/task_realism.py before/tasks.jsonl after/tasks.jsonl   # side by side

Per file: how many tasks carry each mark of ``steps_agents.worlds.realism`` (a >= 25-character
stretch said twice, "Open the ...", "then", arithmetic whose kinds do not combine, arithmetic on
stated numbers fed on, a plain number written into a message, an answer whose parts share
nothing), the plans the composer redrew by rule, and three example instructions per mark with
``--examples``; then per file and k: tasks, tasks with any mark, tasks of two or more data
flows (``steps_agents.worlds.compose.data_flows``) and of those the ones that read as one
request ("While you're at it, ..."); then how templated the instructions read
as a set (``steps_agents.worlds.realism.phrasing_stats``: shared word 4-grams, stock phrases,
nested parentheses, distinct wordings once values are masked).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from steps_agents.plugins.toolworld_impl import ToolWorld

from steps_agents.worlds.compose import data_flows
from steps_agents.worlds.goals import ALSO
from steps_agents.worlds.realism import MARKS, phrasing_stats, realism_marks
from steps_agents.worlds.records import Task
from steps_agents.worlds.taskio import load_tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", type=Path, help="tasks.jsonl files")
    parser.add_argument("--examples", type=int, default=0, help="instructions shown per mark")
    args = parser.parse_args()
    world = ToolWorld()
    columns: list[tuple[str, Counter[str], int]] = []
    per_k: list[tuple[str, dict[int, tuple[int, int, int]]]] = []
    phrasing: list[tuple[str, dict[str, object]]] = []
    for path in args.tasks:
        tasks = load_tasks(path)
        counts: Counter[str] = Counter({mark: 0 for mark in MARKS})
        redrawn: Counter[str] = Counter()
        shown: Counter[str] = Counter()
        for task in tasks:
            marks = realism_marks(world, task)
            counts.update(marks)
            redrawn.update(task.provenance.get("plan_rejections", {}))
            for mark in marks:
                if shown[mark] < args.examples:
                    shown[mark] += 1
                    print(f"[{path}] {mark} (k={task.k}): {task.instruction!r}\n")
        counts["any"] = sum(1 for task in tasks if realism_marks(world, task))
        # composer fallbacks: no attempt found a plan that keeps the soft plan rules
        counts["fallback"] = sum(1 for task in tasks if task.provenance.get("soft_rules"))
        for rule, n in redrawn.items():
            counts[f"redrawn {rule}"] = n
        columns.append((str(path), counts, len(tasks)))
        per_k.append((str(path), _per_k(world, tasks)))
        phrasing.append((str(path), phrasing_stats([task.instruction for task in tasks])))
    rows = [
        *MARKS,
        "any",
        "fallback",
        *sorted({k for _, c, _ in columns for k in c if k.startswith("red")}),
    ]
    print("| mark | " + " | ".join(f"{name} (n={n})" for name, _, n in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in rows:
        print(f"| {row} | " + " | ".join(str(c.get(row, 0)) for _, c, _ in columns) + " |")
    for name, table in per_k:
        print(
            f"\n{name}\n| k | tasks | any mark | two or more data flows | of those, one request |"
            "\n|---|---|---|---|---|"
        )
        for k, (n, marked, split, joined) in sorted(table.items()):
            print(f"| {k} | {n} | {marked} | {split} | {joined} |")
    _print_phrasing(phrasing)


def _print_phrasing(columns: list[tuple[str, dict[str, object]]]) -> None:
    """The phrasing figures side by side; the most shared 4-grams of each file below."""
    print("\n| phrasing | " + " | ".join(name for name, _ in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in columns[0][1]:
        if row != "shared_ngrams":
            print(f"| {row} | " + " | ".join(str(stats[row]) for _, stats in columns) + " |")
    for name, stats in columns:
        shared = "; ".join(f"{gram} ({n})" for gram, n in stats["shared_ngrams"])  # type: ignore[attr-defined]
        print(f"{name}: most shared 4-grams: {shared}")


def _per_k(world: ToolWorld, tasks: list[Task]) -> dict[int, tuple[int, int, int, int]]:
    """Per k: tasks, tasks with any realism mark, tasks of more than one data flow, and of
    those the ones whose instruction joins the errands as one request ("While you're at
    it, ...", ``steps_agents.worlds.goals.ALSO``)."""
    table: dict[int, tuple[int, int, int, int]] = {}
    for task in tasks:
        n, marked, split, joined = table.get(task.k, (0, 0, 0, 0))
        many = len(data_flows(task)) > 1
        table[task.k] = (
            n + 1,
            marked + bool(realism_marks(world, task)),
            split + many,
            joined + (many and ALSO.casefold() in task.instruction.casefold()),
        )
    return table


if __name__ == "__main__":
    main()
