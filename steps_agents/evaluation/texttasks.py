"""Task files for ``steps eval``: executable tasks, or text tasks in the SkillBench format.

A SkillBench record (STEPS section 6) is ``{"id", "label": {"ability": [skills]}, "content":
[user turn, assistant turn]}``; a turn is ``{"role", "content"}`` or a plain string. Such a task
has no tools and no checker: the agent answers the user turn and a judge model scores the answer
against the reference assistant turn on the 1-10 scale.

A file is read as SkillBench when its first record has ``label`` and ``content`` and no
``world``; otherwise it is a file of executable tasks read by
:func:`steps_agents.worlds.load_tasks`. Either way a bad line stops the load with a one-line
error naming ``file:line``, and task ids must be unique.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from steps_agents.errors import InputError
from steps_agents.fileformats import iter_json_lines, iter_text_lines
from steps_agents.worlds import Task, load_tasks


class TextTask(BaseModel):
    """A SkillBench text task: a prompt, the skills it needs, and a reference answer."""

    model_config = ConfigDict(frozen=True)

    id: str
    skills: list[str] = Field(min_length=1)
    prompt: str = Field(min_length=1)
    reference: str = ""

    @property
    def k(self) -> int:
        return len(self.skills)

    @field_validator("skills")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("label.ability lists a skill twice")
        return v


def _turn_text(turn: Any, where: str) -> str:
    if isinstance(turn, str):
        return turn
    if isinstance(turn, dict) and isinstance(turn.get("content"), str):
        return str(turn["content"])
    raise ValueError(f"{where} must be a string or an object with a string 'content'")


def text_task_from_record(data: dict[str, Any]) -> TextTask:
    """Parse one SkillBench record; raise ``ValueError`` with a one-line reason."""
    label = data.get("label")
    content = data.get("content")
    if not isinstance(label, dict) or not isinstance(label.get("ability"), list):
        raise ValueError("label.ability must be a list of skills")
    if not isinstance(content, list) or not content:
        raise ValueError("content must be a list [user turn, assistant turn]")
    if "id" not in data:
        raise ValueError("missing field 'id'")
    prompt = _turn_text(content[0], "content[0]")
    reference = _turn_text(content[1], "content[1]") if len(content) > 1 else ""
    try:
        return TextTask(
            id=str(data["id"]), skills=list(label["ability"]), prompt=prompt, reference=reference
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "record"
        raise ValueError(f"{where}: {first.get('msg', 'invalid')}") from None


def _first_record(path: Path) -> dict[str, Any] | None:
    # iter_text_lines decodes line by line: unreadable bytes raise InputError naming the line.
    for _, line in iter_text_lines(path):
        if line.strip():
            try:
                data = json.loads(line)
            except ValueError:
                return None  # the real loader reports the line
            return data if isinstance(data, dict) else None
    return None


def is_skillbench_record(data: Any) -> bool:
    return isinstance(data, dict) and "label" in data and "content" in data and "world" not in data


def is_skillbench_file(path: Path) -> bool:
    """Whether the file's first record is a SkillBench record (the file is read as one)."""
    first = _first_record(path)
    return first is not None and is_skillbench_record(first)


def load_text_tasks(path: Path) -> list[TextTask]:
    out: list[TextTask] = []
    for location, data in iter_json_lines(path):
        if not is_skillbench_record(data):
            raise InputError(
                "not a SkillBench record (needs id, label.ability, content); a file holds"
                " either SkillBench records or executable tasks, not both",
                location=location,
            )
        try:
            out.append(text_task_from_record(data))
        except ValueError as exc:
            raise InputError(f"invalid SkillBench record: {exc}", location=location) from None
    return out


def _second_line_with_id(path: Path, task_id: str) -> int | str:
    """Where a duplicate id appears the second time (only computed on that error)."""
    hits = 0
    for lineno, line in iter_text_lines(path):
        try:
            data = json.loads(line) if line.strip() else None
        except ValueError:
            continue
        if isinstance(data, dict) and str(data.get("id")) == task_id:
            hits += 1
            if hits == 2:
                return lineno
    return "?"


def load_eval_tasks(path: str | Path, pm: Any = None) -> list[Task | TextTask]:
    """Every task of ``path`` (see the module docstring); raises :class:`InputError`."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"task file {path} does not exist")
    if not path.is_file():
        raise InputError("is not a file, expected a task file (JSONL)", location=path)
    tasks: list[Task | TextTask] = (
        list(load_text_tasks(path)) if is_skillbench_file(path) else list(load_tasks(path, pm))
    )
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise InputError(
                f"task id {task.id!r} appears twice; ids must be unique",
                location=f"{path}:{_second_line_with_id(path, task.id)}",
            )
        seen.add(task.id)
    if not tasks:
        raise InputError("the task file holds no tasks", location=path)
    return tasks
