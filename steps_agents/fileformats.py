"""Version markers of the files steps-agents writes (``docs/formats.md`` describes every file).

A marker is the string ``"steps-agents/<name>@<major>"`` under the key ``"schema"``: once at the
top of a JSON document (taxonomy, evaluation report, synthesis run report), or as the first key
of every line of a JSON Lines file (combinations, tasks, episodes, samples), so a line read on
its own still says what it is. ``<major>`` changes only on an incompatible change (a field removed, renamed, or given
another type or meaning); new optional fields keep it, and readers ignore fields they do not
know. A reader accepts its own major version and refuses any other with a one-line error.

Files written before a line format had its marker carry none; their readers take a missing
marker as version 1 (``missing_ok=True``). The taxonomy and the evaluation report had a marker
from the start, so for them a missing marker is an error.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError

SCHEMA_KEY = "schema"


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0.0.0+unknown"


STEPS_AGENTS_VERSION = _distribution_version("steps-agents")
"""The installed steps-agents version (``steps_agents.__version__``)."""


def software_versions() -> dict[str, str]:
    """The software that wrote a file, keyed by distribution name (``steps-agents``,
    ``langgraph``, ``langchain-core``): the ``versions`` provenance of every output."""
    out = {"steps-agents": STEPS_AGENTS_VERSION}
    for dist in ("langgraph", "langchain-core"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


COMBINATION_SCHEMA = "steps-agents/combination@1"
"""A line of ``steps select`` output: one :class:`~steps_agents.records.Combination`."""

TASK_SCHEMA = "steps-agents/task@1"
"""A line of a task file: one executable :class:`~steps_agents.worlds.Task`."""

EPISODE_SCHEMA = "steps-agents/episode@1"
"""A line of an evaluation run's episodes file: one ``EpisodeResult``."""

SAMPLE_SCHEMA = "steps-agents/sample@1"
"""A line of a synthesis output or rejects file: one sample in its output format's shape."""

SYNTH_REPORT_SCHEMA = "steps-agents/synth-report@1"
"""The ``steps synth --json`` run report (a ``RunReport``)."""

UNCOMPOSABLE_SCHEMA = "steps-agents/uncomposable@1"
"""A line of a synthesis run's uncomposable log: a combination the mode could not compose."""


def split_schema(marker: str) -> tuple[str, int] | None:
    """``"steps-agents/task@1"`` -> ``("steps-agents/task", 1)``; ``None`` if not a marker."""
    name, sep, version = marker.rpartition("@")
    if not sep or not name or not version.isdigit():
        return None
    return name, int(version)


def check_schema(
    found: Any, expected: str, *, location: str | Path, missing_ok: bool = False
) -> None:
    """Raise :class:`InputError` unless ``found`` is ``expected`` (or absent, with ``missing_ok``).

    The message says whether the file looks newer (upgrade steps-agents), older (rebuild it) or
    is something else entirely.
    """
    if found is None and missing_ok:
        return
    if found == expected:
        return
    want = split_schema(expected)
    got = split_schema(found) if isinstance(found, str) else None
    if found is None:
        hint = f"no {SCHEMA_KEY!r} field; expected {expected!r}"
    elif want is not None and got is not None and got[0] == want[0]:
        if got[1] > want[1]:
            hint = (
                f"{SCHEMA_KEY} is {found!r}, newer than this steps-agents reads ({expected!r});"
                " upgrade steps-agents"
            )
        else:
            hint = (
                f"{SCHEMA_KEY} is {found!r}, older than this steps-agents reads ({expected!r});"
                " write the file again with this version"
            )
    else:
        hint = f"{SCHEMA_KEY} is {found!r}, expected {expected!r}"
    raise InputError(hint, location=location)


def stamped_json(marker: str, body: str) -> str:
    """Put ``"schema": marker`` first in the JSON object ``body`` (a pydantic ``model_dump_json``).

    String surgery instead of a dict round trip: the body is already valid JSON, so the line
    stays exactly what pydantic wrote after the marker.
    """
    if not body.startswith("{"):
        raise ValueError("expected a JSON object")
    rest = body[1:].lstrip()
    head = f'{{"{SCHEMA_KEY}":"{marker}"'
    return head + ("}" if rest.startswith("}") else "," + rest)


GZIP_MAGIC = b"\x1f\x8b"


def iter_text_lines(
    path: str | Path, byte_range: tuple[int, int, int] | None = None
) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a UTF-8 text file, plain or gzip (by its magic bytes), lazily.

    Each line is decoded on its own (a text wrapper decodes 8 KiB chunks, so its errors point at
    the wrong line): a byte that is not UTF-8, a truncated or corrupt gzip stream, a directory or
    any read error raises :class:`InputError` naming ``file:line``. A leading BOM is dropped.
    ``byte_range=(start, end, first_line)`` reads only the lines of a plain file that start in
    ``[start, end)`` (``start`` at a line start, numbered from ``first_line``): one shard of a
    file read in parallel (:mod:`steps_agents.corpus.shards`).
    """
    path = Path(path)
    start, end, first = byte_range if byte_range is not None else (0, -1, 1)
    lineno = first - 1
    try:
        with open(path, "rb") as raw:
            stream: Any = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == GZIP_MAGIC else raw
            if byte_range is not None:
                raw.seek(start)
                stream = _until(raw, end - start)
            for lineno, data in enumerate(stream, start=first):  # noqa: B007 - used after the loop
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"not valid UTF-8 (byte {data[exc.start]:#04x} at byte offset {exc.start})",
                        location=f"{path}:{lineno}",
                    ) from None
                yield lineno, text.lstrip("\ufeff") if lineno == 1 and start == 0 else text
    except (EOFError, OSError) as exc:  # gzip.BadGzipFile is an OSError
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        where = f"{path}:{lineno + 1}" if lineno else str(path)
        raise InputError(f"cannot read ({detail})", location=where) from None


def _until(raw: Any, size: int) -> Iterator[bytes]:
    """The lines of ``raw`` that start within the next ``size`` bytes."""
    while size > 0:
        data = raw.readline()
        if not data:
            return
        size -= len(data)
        yield data


def iter_json_lines(path: str | Path) -> Iterator[tuple[str, Any]]:
    """``("file:line", parsed value)`` for every non-blank line of a JSON Lines file, lazily.

    Lines come from :func:`iter_text_lines` (plain or gzip, bad bytes named by line); a line
    that is not JSON raises :class:`InputError` ``malformed JSON: ...`` at its ``file:line``.
    What the value must be (an object, a given record) is the caller's check, with the location.
    """
    for lineno, line in iter_text_lines(path):
        if not line.strip():
            continue
        location = f"{path}:{lineno}"
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InputError(f"malformed JSON: {exc}", location=location) from None
        yield location, data
