"""Task files (JSONL, optionally gzip) and the SkillBench export.

One task per line (:class:`~steps_agents.worlds.records.Task` as JSON) with the version marker
``"schema": "steps-agents/task@1"`` first (:data:`steps_agents.fileformats.TASK_SCHEMA`; a line
without one, as written before the marker existed, reads as version 1). Reading checks every
line: malformed JSON, another schema version, an invalid record, an unknown world or a tool the
world does not have each stop the load with a one-line
:class:`~steps_agents.errors.InputError` naming ``file:line``.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import ValidationError

from steps_agents.errors import InputError, UnknownComponentError
from steps_agents.fileformats import (
    SCHEMA_KEY,
    TASK_SCHEMA,
    check_schema,
    iter_json_lines,
    stamped_json,
)
from steps_agents.worlds.records import Task

if TYPE_CHECKING:  # pragma: no cover
    import pluggy

__all__ = ["iter_tasks", "load_tasks", "skillbench_answer_text", "to_skillbench", "write_tasks"]


def _open_text(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "record"
    more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return f"invalid task record: {where}: {first.get('msg', 'invalid')}{more}"


def iter_tasks(path: str | Path, pm: pluggy.PluginManager | None = None) -> Iterator[Task]:
    """Tasks from a JSONL file, checked against their registered worlds, one line at a time."""
    from steps_agents.registry import available, get_skill_world

    path = Path(path)
    if not path.exists():
        raise InputError(f"task file {path} does not exist")
    if path.is_dir():
        raise InputError("is a directory, expected a task file (JSONL)", location=path)
    worlds: dict[str, dict[str, Any]] = {}
    # Line by line (iter_json_lines): a non-UTF-8 byte, a truncated gzip or bad JSON names its line.
    for location, data in iter_json_lines(path):
        if not isinstance(data, dict):
            raise InputError("a task record must be a JSON object", location=location)
        check_schema(data.pop(SCHEMA_KEY, None), TASK_SCHEMA, location=location, missing_ok=True)
        try:
            task = Task.model_validate(data)
        except ValidationError as exc:
            raise InputError(_validation_message(exc), location=location) from None
        if task.world not in worlds:
            try:
                world = get_skill_world(task.world, pm)
            except UnknownComponentError:
                names = ", ".join(sorted(available("skill world", pm))) or "none registered"
                raise InputError(
                    f"unknown world {task.world!r} in task {task.id}; available: {names}",
                    location=location,
                ) from None
            worlds[task.world] = {spec.name: spec for spec in world.tool_specs()}
        known = worlds[task.world]
        for name in [t.name for t in task.tools] + [s.tool for s in task.oracle]:
            if name not in known:
                raise InputError(
                    f"unknown tool {name!r} in task {task.id}: world {task.world!r} has no"
                    " such tool (was the task made with another world version?)",
                    location=location,
                )
        yield task


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
