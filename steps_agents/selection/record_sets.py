"""The skill set of every record of a combinations, samples or tasks file, or of tagged corpus
records: what ``steps split`` splits and what ``steps synth --exclude`` keeps out of a run.

The kind comes from the first line's schema marker; each record's skill set is read from
"skills" (combinations, tasks, corpus), "metadata.skills" (samples) or "label.ability"
(SkillBench-shaped corpus records). Plain or gzip JSONL; a bad line is a one-line error naming
it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.fileformats import (
    COMBINATION_SCHEMA,
    SAMPLE_SCHEMA,
    SCHEMA_KEY,
    TASK_SCHEMA,
    check_schema,
    iter_json_lines,
    iter_text_lines,
)

KINDS = {COMBINATION_SCHEMA: "combinations", SAMPLE_SCHEMA: "samples", TASK_SCHEMA: "tasks"}


def _skills_field(kind: str, record: dict[str, Any]) -> tuple[str, Any]:
    """Where a record of ``kind`` keeps its skill set, and the value found there."""
    if kind == "samples":
        meta = record.get("metadata")
        return "metadata.skills", meta.get("skills") if isinstance(meta, dict) else None
    if kind == "corpus" and "skills" not in record:  # SkillBench / the tags extractor's shape
        label = record.get("label")
        return "label.ability", label.get("ability") if isinstance(label, dict) else None
    return "skills", record.get("skills")


def read_records(path: str) -> tuple[str, list[str], list[frozenset[str]], list[str]]:
    """``(kind, raw lines, skill sets, record keys)``; the kind comes from the first line's
    marker (none: tagged corpus records, ``skills`` or ``label.ability``)."""
    kind: str | None = None
    marker: Any = None
    lines: list[str] = []
    sets: list[frozenset[str]] = []
    keys: list[str] = []
    # The lines are copied verbatim, so they are read as text too (a second, cheap pass).
    raw = {f"{path}:{number}": text for number, text in iter_text_lines(path)}
    for location, record in iter_json_lines(path):
        text = raw[location]
        if not isinstance(record, dict):
            raise InputError("expected a JSON object", location=location)
        if kind is None:
            marker = record.get(SCHEMA_KEY)
            kind = KINDS.get(marker) if isinstance(marker, str) else None
            if kind is None and marker is None and ("skills" in record or "label" in record):
                kind = "corpus"
            if kind is None:
                raise InputError(
                    f"{SCHEMA_KEY} is {marker!r}; expected one of {', '.join(KINDS)}"
                    " (a combinations, samples or tasks file) or none (tagged corpus records)",
                    location=location,
                )
        if kind == "corpus":
            if record.get(SCHEMA_KEY) is not None:
                raise InputError(f"a {SCHEMA_KEY} marker in a corpus file", location=location)
        else:
            check_schema(record.get(SCHEMA_KEY), marker, location=location, missing_ok=True)
        field, skills = _skills_field(kind, record)
        if (
            not isinstance(skills, list)
            or not skills
            or not all(isinstance(s, str) for s in skills)
        ):
            raise InputError(f"{field} must be a non-empty list of strings", location=location)
        lines.append(text if text.endswith("\n") else text + "\n")
        sets.append(frozenset(skills))
        ident = record.get("id")
        keys.append(ident if isinstance(ident, str) else json.dumps(record, sort_keys=True))
    if kind is None:
        raise InputError("no records", location=path)
    return kind, lines, sets, keys


def read_skill_sets(path: str | Path) -> frozenset[frozenset[str]]:
    """Every record's skill set (see the module docstring)."""
    return frozenset(read_records(str(path))[2])
