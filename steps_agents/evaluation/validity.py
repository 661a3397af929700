"""Which tasks of an untrusted task file can be evaluated at all: the preflight.

Before any episode runs, each executable task's oracle plan is run once on a fresh state (in
the sandbox, within the tool limits and the episode timeout) and its answer checked by the
task's own checker. A task whose oracle fails -- a tool error (``no such file '/etc/passwd'``
from a world's virtual file system), a tool over its limits, a plan past the deadline, or an
oracle answer its own checker rejects -- is *invalid*: it says nothing about any agent, so it
is left out of the evaluation, listed with its id, position and reason, and counted in the
report (``meta.invalid_tasks``). The other tasks are evaluated as usual; one hostile task no
longer stops a run of 41.

The oracle's calls are kept, so scoring (steps vs the oracle, coverage) does not run it again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from steps_agents.evaluation.records import ToolCallRecord
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.worlds import Task, check, run_oracle

REASON_CHARS = 300


@dataclass(frozen=True)
class InvalidTask:
    """A task left out of the evaluation: ``position`` is its 1-based place among the file's
    tasks (blank lines not counted)."""

    id: str
    position: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:REASON_CHARS]


def preflight(
    tasks: Sequence[Task | TextTask],
    worlds: Mapping[str, Any],
    *,
    timeout: float | None,
    oracle_cache: dict[str, list[ToolCallRecord]],
) -> tuple[list[Task | TextTask], list[InvalidTask]]:
    """``(valid tasks, invalid tasks)``; the valid executable tasks' oracle calls go into
    ``oracle_cache`` (by task id). Text tasks have no oracle and are always valid. Only
    ``Exception`` s make a task invalid: Ctrl-C stops the run as everywhere else."""
    valid: list[Task | TextTask] = []
    invalid: list[InvalidTask] = []
    for position, task in enumerate(tasks, start=1):
        if not isinstance(task, Task):
            valid.append(task)
            continue
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            answer, state, trace = run_oracle(worlds[task.world], task, deadline=deadline)
            outcome = check(task, answer, state)
        except Exception as exc:
            invalid.append(InvalidTask(task.id, position, f"oracle failed: {_reason(exc)}"))
            continue
        if not outcome.passed:
            reason = f"the task's own checker rejects its oracle: {outcome.reason}"
            invalid.append(InvalidTask(task.id, position, reason[:REASON_CHARS]))
            continue
        oracle_cache[task.id] = [
            ToolCallRecord(tool=t.tool, args=dict(t.args), ok=t.ok, result=t.result, error=t.error)
            for t in trace
        ]
        valid.append(task)
    return valid, invalid
