"""Would a demanding user keep this task? Countable marks of a mechanical instruction or plan.

:func:`realism_marks` lists, for one task, what ``docs/task-realism.md``'s rules count against
it (TaskCraft and tau-bench style requests state a goal once, in the user's words):

``repeated``
    the instruction says the same >= 25 characters twice (a literal or a description spelled
    out again instead of "that email", "the note below");
``open``
    a recipe step a goal implies ("Open the email ..." when its contents are what is asked for);
``then``
    the instruction orders its steps with "then";
``units`` / ``stated`` / ``bare``
    arithmetic whose kinds of quantities do not combine, arithmetic on stated numbers fed on,
    a plain computed number written into a message (:mod:`steps_agents.worlds.quantities`);
``unrelated``
    an answer of several parts that share no step and no stated value: two questions glued
    together rather than one purpose needing two results.

:func:`realism_counts` counts tasks with each mark over a task list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from steps_agents.worlds.quantities import quantity_defects
from steps_agents.worlds.records import Task

__all__ = ["MARKS", "realism_counts", "realism_marks", "repeated_text", "unrelated_parts"]

MARKS = ("repeated", "open", "then", "units", "stated", "bare", "unrelated")
_THEN = re.compile(r"\bthen\b", re.IGNORECASE)
_OPEN = re.compile(r"\bopen the\b", re.IGNORECASE)


def repeated_text(text: str, length: int = 25) -> str | None:
    """The first ``length``-character stretch of ``text`` that occurs again later (not
    overlapping itself), or ``None``."""
    for start in range(len(text) - 2 * length + 1):
        piece = text[start : start + length]
        if piece.strip() and text.find(piece, start + length) >= 0:
            return piece
    return None


def _ancestors(task: Task, sid: str) -> set[str]:
    by_id = {step.id: step for step in task.oracle}
    seen: set[str] = set()
    todo = [sid]
    while todo:
        current = todo.pop()
        if current in by_id and current not in seen:
            seen.add(current)
            todo += by_id[current].refs()
    return seen


def _stated(task: Task, steps: Iterable[str]) -> set[str]:
    from steps_agents.worlds.instructions import _literals

    wanted = set(steps)
    return {
        str(v)
        for step in task.oracle
        if step.id in wanted
        for v in _literals(step.args)
        if isinstance(v, str)
    }


def unrelated_parts(task: Task) -> bool:
    """Do the answer parts fall into groups that share no step and no stated string?"""
    parts = [p.step for p in task.checker.answer if p.step]
    if len(parts) < 2:
        return False
    groups = [(_ancestors(task, sid), _stated(task, _ancestors(task, sid))) for sid in parts]
    linked = {0}
    changed = True
    while changed:
        changed = False
        for i, (steps, stated) in enumerate(groups):
            if i in linked:
                continue
            if any(steps & groups[j][0] or stated & groups[j][1] for j in linked):
                linked.add(i)
                changed = True
    return len(linked) < len(groups)


def realism_marks(world: Any, task: Task) -> list[str]:
    """The marks of the module docstring this task carries (each at most once)."""
    text = task.instruction
    marks = []
    if repeated_text(text):
        marks.append("repeated")
    if _OPEN.search(text):
        marks.append("open")
    if _THEN.search(text):
        marks.append("then")
    found = {d.category for d in quantity_defects(world, task)}
    marks += [m for m in ("units", "stated", "bare") if m in found]
    if unrelated_parts(task):
        marks.append("unrelated")
    return marks


def realism_counts(world: Any, tasks: Sequence[Task]) -> Counter[str]:
    """Per mark, how many of ``tasks`` carry it (every mark present, zero when none)."""
    counts: Counter[str] = Counter({mark: 0 for mark in MARKS})
    for task in tasks:
        counts.update(realism_marks(world, task))
    return counts
