"""Task files (JSONL, optionally gzip) and the SkillBench export.

One task per line (:class:`~steps_agents.worlds.records.Task` as JSON) with the version marker
``"schema": "steps-agents/task@1"`` first (:data:`steps_agents.fileformats.TASK_SCHEMA`; a line
without one, as written before the marker existed, reads as version 1). Reading checks every
line: malformed JSON, another schema version, an invalid record, an unknown world or a tool the
world does not have each stop the load with a one-line
:class:`~steps_agents.errors.InputError` naming ``file:line``. :func:`iter_task_lines` reads an
untrusted file on past such a line instead (``steps eval`` counts it as an invalid task).
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from steps_agents.errors import InputError, UnknownComponentError
from steps_agents.fileformats import (
    SCHEMA_KEY,
    TASK_SCHEMA,
    check_schema,
    iter_json_lines,
    iter_json_lines_lenient,
    stamped_json,
)
from steps_agents.worlds.records import Task

if TYPE_CHECKING:  # pragma: no cover
    import pluggy

__all__ = [
    "TaskLine",
    "check_task_file",
    "iter_task_lines",
    "iter_tasks",
    "load_tasks",
    "skillbench_answer_text",
    "to_skillbench",
    "write_tasks",
]


def _open_text(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "record"
    more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return f"invalid task record: {where}: {first.get('msg', 'invalid')}{more}"


class _Worlds:
    """The tool names of each world the tasks name, looked up once per world."""

    def __init__(self, pm: pluggy.PluginManager | None) -> None:
        self.pm = pm
        self.tools: dict[str, dict[str, Any]] = {}

    def of(self, task: Task, location: str) -> dict[str, Any]:
        from steps_agents.registry import available, get_skill_world

        if task.world not in self.tools:
            try:
                world = get_skill_world(task.world, self.pm)
            except UnknownComponentError:
                names = ", ".join(sorted(available("skill world", self.pm))) or "none registered"
                raise InputError(
                    f"unknown world {task.world!r} in task {task.id}; available: {names}",
                    location=location,
                ) from None
            self.tools[task.world] = {spec.name: spec for spec in world.tool_specs()}
        return self.tools[task.world]


def _task(location: str, data: Any, worlds: _Worlds) -> Task:
    """One line's value as a task of a registered world, or :class:`InputError` at ``location``."""
    if not isinstance(data, dict):
        raise InputError("a task record must be a JSON object", location=location)
    check_schema(data.pop(SCHEMA_KEY, None), TASK_SCHEMA, location=location, missing_ok=True)
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_message(exc), location=location) from None
    known = worlds.of(task, location)
    for name in [t.name for t in task.tools] + [s.tool for s in task.oracle]:
        if name not in known:
            raise InputError(
                f"unknown tool {name!r} in task {task.id}: world {task.world!r} has no"
                " such tool (was the task made with another world version?)",
                location=location,
            )
    return task


def check_task_file(path: str | Path) -> Path:
    """``path`` as a :class:`Path`, or :class:`InputError` if it is missing or is not a regular
    file (a directory, or a device such as ``/dev/zero`` that would be read forever)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"task file {path} does not exist")
    if path.is_dir():
        raise InputError("is a directory, not a file: expected a task file (JSONL)", location=path)
    if not path.is_file():
        raise InputError("is not a regular file, expected a task file (JSONL)", location=path)
    return path


def iter_tasks(path: str | Path, pm: pluggy.PluginManager | None = None) -> Iterator[Task]:
    """Tasks from a JSONL file, checked against their registered worlds, one line at a time."""
    path = check_task_file(path)
    worlds = _Worlds(pm)
    # Line by line (iter_json_lines): a non-UTF-8 byte, a truncated gzip or bad JSON names its line.
    for location, data in iter_json_lines(path):
        yield _task(location, data, worlds)


class TaskLine(NamedTuple):
    """One non-blank line of a task file read by :func:`iter_task_lines`: its ``file:line``,
    and either the task or why the line is not one (``error``; ``id`` is the line's ``"id"``
    when it has a readable one, else ``""``)."""

    location: str
    task: Task | None
    error: InputError | None = None
    id: str = ""


def iter_task_lines(path: str | Path, pm: pluggy.PluginManager | None = None) -> Iterator[TaskLine]:
    """:func:`iter_tasks` that reads on past a bad line (malformed JSON, over a limit, an
    invalid record, an unknown world or tool): the line comes back with its error and the rest
    of the file is read. A file that cannot be read at all still raises :class:`InputError`."""
    path = check_task_file(path)
    worlds = _Worlds(pm)
    for location, data in iter_json_lines_lenient(path):
        if isinstance(data, InputError):
            yield TaskLine(location, None, data)
            continue
        raw_id = data.get("id") if isinstance(data, dict) else None
        try:
            yield TaskLine(location, _task(location, data, worlds))
        except InputError as error:
            shown = raw_id if isinstance(raw_id, str) else ""
            yield TaskLine(location, None, error, shown)


def load_tasks(path: str | Path, pm: pluggy.PluginManager | None = None) -> list[Task]:
    """All tasks of a JSONL (or ``.jsonl.gz``) file; see :func:`iter_tasks` for the checks."""
    return list(iter_tasks(path, pm))


def write_tasks(path: str | Path, tasks: Iterable[Task]) -> int:
    """Write tasks as JSONL (gzip when the name ends in ``.gz``), atomically; return the count.

    Each line starts with the ``schema`` marker. The temporary file is created with ``open``
    (not ``mkstemp``, whose 0600 mode would survive the rename) so the task file gets the same
    permissions as every other file the project writes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    gz = ".gz" if path.suffix == ".gz" else ""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp{gz}")
    count = 0
    try:
        with _open_text(tmp, "x") as handle:
            for task in tasks:
                handle.write(stamped_json(TASK_SCHEMA, task.model_dump_json()) + "\n")
                count += 1
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count


def skillbench_answer_text(task: Task) -> str:
    """The reference assistant turn: the oracle's calls in order, then the expected answer."""
    lines = ["Solution:"]
    for n, step in enumerate(task.oracle, start=1):
        lines.append(f"{n}. {step.id} = {step.tool}({json.dumps(step.args, sort_keys=True)})")
    parts = task.checker.answer
    if parts:
        answer = parts[0].value if len(parts) == 1 else {p.key: p.value for p in parts}
        lines.append(f"Answer: {json.dumps(answer, default=str)}")
    for fact in task.checker.state:
        where = "/".join(map(str, fact.path))
        lines.append(f"Final state: {where} = {json.dumps(fact.expected, default=str)}")
    return "\n".join(lines)


def to_skillbench(task: Task) -> dict[str, Any]:
    """The SkillBench record (STEPS section 6): ``{"id", "label": {"ability": skills},
    "content": [user turn, assistant turn]}``. The user turn is the instruction followed by the
    tool schemas it may use; the assistant turn is the oracle solution and the answer."""
    tools = json.dumps([t.to_openai()["function"] for t in task.tools], sort_keys=True)
    user = f"{task.instruction}\n\nTools (JSON schemas):\n{tools}"
    return {
        "id": task.id,
        "label": {"ability": list(task.skills)},
        "content": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": skillbench_answer_text(task)},
        ],
    }
