"""Which tasks of an untrusted task file can be evaluated at all.

Two checks, each leaving a task out as *invalid* (named by ``file:line``, with its id when it
has one, and a reason) instead of stopping the evaluation; the report counts them
(``meta.invalid_tasks``) beside the ``meta.valid_tasks`` that were evaluated:

- :func:`read_eval_tasks` reads the file line by line and keeps going past a line that is not
  a task: not JSON, over an input limit, an invalid record, an unknown world or tool, an id seen
  before. A file where no line is a task (every line bad, or not a task file at all) is still
  one :class:`~steps_agents.errors.InputError`, exit 2.
- :func:`preflight` runs, before any episode, each executable task's oracle plan once on a fresh
  state (in the sandbox, within the tool limits and the episode timeout) and checks its answer
  with the task's own checker. A task whose oracle fails -- a tool error (``no such file
  '/etc/passwd'`` from a world's virtual file system), a tool over its limits, a plan past the
  deadline, or an oracle answer its own checker rejects -- says nothing about any agent.

The oracle's calls are kept, so scoring (steps vs the oracle, coverage) does not run it again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.evaluation.records import ToolCallRecord
from steps_agents.evaluation.texttasks import TextTask, is_skillbench_file, load_eval_tasks
from steps_agents.fileformats import display_text
from steps_agents.worlds import Task, check, run_oracle
from steps_agents.worlds.session import StuckToolsError, ToolsStuck
from steps_agents.worlds.taskio import check_task_file, iter_task_lines

REASON_CHARS = 300
ID_CHARS = 120  # an id read from a line that is not a valid task may be of any length


@dataclass(frozen=True)
class InvalidTask:
    """A task left out of the evaluation. ``location`` is its ``file:line`` (``#N``, its
    1-based position, for tasks not read from a file); ``id`` is ``""`` for a line without a
    readable id."""

    id: str
    location: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """How it is named on stderr: ``invalid task 'x' at tasks.jsonl:7: reason``."""
        named = f"invalid task {self.id!r}" if self.id else "invalid task"
        return display_text(f"{named} at {self.location}: {self.reason}")


@dataclass
class TaskFile:
    """The tasks of a file, the lines that are not valid tasks, and each task's ``file:line``."""

    tasks: list[Task | TextTask]
    invalid: list[InvalidTask] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)


def read_eval_tasks(path: str | Path, pm: Any = None) -> TaskFile:
    """The tasks of ``path`` for ``steps eval``. A SkillBench file is read strictly
    (:func:`~steps_agents.evaluation.texttasks.load_eval_tasks`); a file of executable tasks
    leniently, a bad line becoming an :class:`InvalidTask` (see the module docstring)."""
    path = check_task_file(path)
    try:
        skillbench = is_skillbench_file(path)
    except InputError:  # an unreadable first line: the lenient reader names it
        skillbench = False
    if skillbench:
        return TaskFile(load_eval_tasks(path, pm))
    out = TaskFile([])
    errors: list[InputError] = []
    for line in iter_task_lines(path, pm):
        if line.task is None:
            assert line.error is not None
            errors.append(line.error)
            reason = line.error.detail[:REASON_CHARS]
            out.invalid.append(InvalidTask(line.id[:ID_CHARS], line.location, reason))
        elif line.task.id in out.locations:
            first, shown = out.locations[line.task.id], line.task.id[:ID_CHARS]
            reason = f"task id {shown!r} appears twice (first at {first}); ids must be unique"
            out.invalid.append(InvalidTask(shown, line.location, reason))
        else:
            out.locations[line.task.id] = line.location
            out.tasks.append(line.task)
    if not out.tasks:
        if not errors:
            raise InputError("the task file holds no tasks", location=path)
        raise InputError(
            f"no line is a valid task ({len(out.invalid)} bad; the first: {errors[0].detail})",
            location=errors[0].location,
        )
    return out


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:REASON_CHARS]


def preflight(
    tasks: Sequence[Task | TextTask],
    worlds: Mapping[str, Any],
    *,
    timeout: float | None,
    oracle_cache: dict[str, list[ToolCallRecord]],
    locations: Mapping[str, str] | None = None,
) -> tuple[list[Task | TextTask], list[InvalidTask]]:
    """``(valid tasks, invalid tasks)``; the valid executable tasks' oracle calls go into
    ``oracle_cache`` (by task id). Text tasks have no oracle and are always valid. Only
    ``Exception`` s make a task invalid: Ctrl-C stops the run as everywhere else. An invalid
    task is named by its ``locations`` entry (``file:line``), else by its position ``#N``."""
    locations = locations or {}
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
        except ToolsStuck as exc:  # the world's tools hang: no task of it can be judged
            raise StuckToolsError.of(task.world, exc) from None
        except Exception as exc:
            where = locations.get(task.id, f"#{position}")
            invalid.append(InvalidTask(task.id, where, f"oracle failed: {_reason(exc)}"))
            continue
        if not outcome.passed:
            reason = f"the task's own checker rejects its oracle: {outcome.reason}"
            where = locations.get(task.id, f"#{position}")
            invalid.append(InvalidTask(task.id, where, reason[:REASON_CHARS]))
            continue
        oracle_cache[task.id] = [
            ToolCallRecord(tool=t.tool, args=dict(t.args), ok=t.ok, result=t.result, error=t.error)
            for t in trace
        ]
        valid.append(task)
    return valid, invalid
