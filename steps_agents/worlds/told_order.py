"""The order a goal instruction imposes on its plan, for trajectories that follow it.

A goal instruction that reads the state before a change tells the changes and the questions in
plan order ("Move the event ... Then find out X. Then cancel that event."); the composer's plan
may compute X after the cancel, since X does not depend on it. A training trajectory should
call the tools in the order the user asked for: :func:`in_told_order` reorders the plan the way
the goal renderer placed each change and question (:mod:`steps_agents.worlds.goals`), replays
it and keeps it only when it still passes the checker.
"""

from __future__ import annotations

import re
from typing import Any

from steps_agents.worlds.checking import check
from steps_agents.worlds.goals import _ancestors, _told_at  # the renderer's own placement
from steps_agents.worlds.records import OracleStep, Task
from steps_agents.worlds.session import run_oracle
from steps_agents.worlds.spec import ToolError

__all__ = ["in_told_order"]

_ORDERED = re.compile(r"\bthen find out\b|\bbefore you change anything\b", re.IGNORECASE)


def _told_order(task: Task) -> list[OracleStep]:
    """The oracle's steps in the order a plan-order goal instruction tells them: each state
    change and each question at the place the instruction gives it (the goal renderer's own
    rule), every step right after the steps it needs, the rest in plan order."""
    steps = task.oracle
    mutating = {spec.name: spec.mutates for spec in task.tools}
    index = {step.id: n for n, step in enumerate(steps)}
    by_id = {step.id: step for step in steps}
    events = [(float(index[s.id]), s.id) for s in steps if mutating.get(s.tool, False)]
    events += [(_told_at(steps, p.step, mutating), p.step) for p in task.checker.answer if p.step]
    done: set[str] = set()
    order: list[OracleStep] = []
    for sid in [sid for _, sid in sorted(events)] + [s.id for s in steps]:
        for needed in sorted(_ancestors(steps, sid), key=index.__getitem__):
            if needed not in done:
                done.add(needed)
                order.append(by_id[needed])
    return order


def in_told_order(world: Any, task: Task) -> Task:
    """``task`` with its oracle in the order its instruction imposes ("... Then find out X.
    Then cancel that event.", "before you change anything, tell me ..."), so that a trajectory
    made from it (:func:`~steps_agents.worlds.instructions.task_trajectory`) calls the tools in the order the user asked for.
    The reordered plan is replayed in ``world`` and its step results recorded; when the
    instruction imposes no order, the plan is already in it, or the replay does not pass the
    checker, ``task`` comes back unchanged."""
    if not _ORDERED.search(task.instruction):
        return task
    order = _told_order(task)
    if [s.id for s in order] == [s.id for s in task.oracle]:
        return task
    moved = task.model_copy(update={"oracle": order})
    try:
        answer, state, trace = run_oracle(world, moved)
    except ToolError:
        return task
    if not check(moved, answer, state).passed or len(trace) != len(order):
        return task
    steps = [s.model_copy(update={"result": t.result}) for s, t in zip(order, trace, strict=True)]
    return moved.model_copy(update={"oracle": steps})
