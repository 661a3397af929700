"""Running tools on a task's state: sandboxed execution, the session an agent drives, the oracle.

A :class:`TaskSession` is what an evaluator hands an agent: a private deep copy of the task's
initial state, a ``call(tool, args)`` that only allows the task's tools, validates the arguments
against the tool's schema, runs the tool in the sandbox and appends every call (including
failed ones) to :attr:`TaskSession.trace`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from steps_agents.errors import InputError
from steps_agents.worlds.checking import check
from steps_agents.worlds.protocol import SkillWorld
from steps_agents.worlds.records import CheckOutcome, Task, TraceEntry, resolve_path, resolve_refs
from steps_agents.worlds.sandbox import sandboxed
from steps_agents.worlds.spec import ToolError, validate_args

__all__ = ["TaskSession", "execute_tool", "oracle_answer", "run_oracle"]


def execute_tool(
    world: SkillWorld, state: dict[str, Any], tool: str, args: Mapping[str, Any]
) -> Any:
    """``world.execute`` inside the sandbox; any failure comes out as :class:`ToolError`.

    The result is deep-copied so a caller that mutates it cannot reach into the state.
    """
    try:
        with sandboxed():
            result = world.execute(state, tool, args)
    except ToolError:
        raise
    except Exception as exc:  # a tool bug or bad input surfaced as a Python error
        raise ToolError(f"{tool}: {type(exc).__name__}: {exc}") from exc
    return copy.deepcopy(result)


class TaskSession:
    """One run of one task: fresh state, allowed tools, the trace of calls."""

    def __init__(self, world: SkillWorld, task: Task) -> None:
        if world.name != task.world:
            raise InputError(f"task {task.id} is for world {task.world!r}, not {world.name!r}")
        self.world = world
        self.task = task
        self.state: dict[str, Any] = copy.deepcopy(task.initial_state)
        self.trace: list[TraceEntry] = []
        self._specs = {spec.name: spec for spec in task.tools}

    @property
    def calls(self) -> int:
        return len(self.trace)

    def call(self, tool: str, args: Any, *, step: str | None = None) -> Any:
        """Run ``tool`` with ``args``; return its result or raise :class:`ToolError` (both traced)."""
        index = len(self.trace)
        try:
            spec = self._specs.get(tool)
            if spec is None:
                offered = ", ".join(self._specs)
                raise ToolError(f"unknown tool {tool!r}; this task offers: {offered}")
            validate_args(spec, args)
            result = execute_tool(self.world, self.state, tool, args)
        except ToolError as exc:
            self.trace.append(
                TraceEntry(
                    index=index, tool=tool, args=copy.deepcopy(args), error=str(exc), step=step
                )
            )
            raise
        self.trace.append(
            TraceEntry(index=index, tool=tool, args=copy.deepcopy(args), result=result, step=step)
        )
        return copy.deepcopy(result)

    def check(self, answer: Any) -> CheckOutcome:
        """Check ``answer`` together with this session's current state."""
        return check(self.task, answer, self.state)


def oracle_answer(task: Task, results: Mapping[str, Any]) -> Any:
    """The answer the checker expects, built from step results: the bare value for one part,
    ``{key: value}`` for several, ``None`` when the checker has only state checks."""
    values: dict[str, Any] = {}
    for part in task.checker.answer:
        if part.step is None:
            values[part.key] = part.value
        else:
            values[part.key] = resolve_path(results[part.step], list(part.path))
    if not values:
        return None
    if len(values) == 1:
        return next(iter(values.values()))
    return values


def run_oracle(world: SkillWorld, task: Task) -> tuple[Any, dict[str, Any], list[TraceEntry]]:
    """Execute the oracle plan on a fresh state: ``(answer, final_state, trace)``.

    Raises :class:`ToolError` when a step fails (the task is broken for this world version).
    """
    session = TaskSession(world, task)
    results: dict[str, Any] = {}
    for step in task.oracle:
        args = resolve_refs(step.args, results)
        results[step.id] = session.call(step.tool, args, step=step.id)
    return oracle_answer(task, results), session.state, session.trace
