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
import math
import os
import re
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


# -- input limits (docs/reliability.md lists them) ---------------------------------------------


def _env_limit(name: str, default: int) -> int:
    """``default``, or the positive integer in the environment variable ``name``."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


MAX_LINE_BYTES = _env_limit("STEPS_AGENTS_MAX_LINE_BYTES", 64 * 1024 * 1024)
"""Longest line a JSONL, CSV or text reader accepts (also after gunzip): 64 MiB. A longer line
is refused at its ``file:line`` before it is held whole in memory (a 2.6 MB gzip can hold one
2.5 GB line)."""

MAX_JSON_DEPTH = _env_limit("STEPS_AGENTS_MAX_JSON_DEPTH", 64)
"""Deepest nesting of arrays and objects in any JSON value read (a record, a task, a taxonomy):
far above what any writer here produces (a taxonomy is 3 levels, a task about 6), far below the
interpreter's recursion limit that later recursive code (pydantic, copies) would hit."""

MAX_INT_DIGITS = 4300
"""Python's own limit on converting a decimal string to ``int`` (``sys.get_int_max_str_digits``)."""

MAX_TOML_DEPTH = MAX_JSON_DEPTH
"""Deepest nesting of tables and arrays in ``steps.toml`` and other TOML inputs."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number; JSON input must not hold NaN or Infinity")


# A float literal that may overflow to inf: an exponent of 3+ digits or 309+ digits in a row.
_MAYBE_HUGE = re.compile(r"[eE][+-]?\d{3}|\d{309}")


def check_value(value: Any, *, max_depth: int = MAX_JSON_DEPTH, what: str = "JSON") -> None:
    """Raise ``ValueError`` if ``value`` nests deeper than ``max_depth`` or holds a float that is
    not finite. Iterative (an explicit stack), so a deep value cannot overflow the C stack."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise ValueError(f"{what} nested deeper than {max_depth} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"number {item} is not finite (too large for a float)")


def parse_json(text: str, *, location: str | Path, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` with the input limits: :data:`MAX_JSON_DEPTH`, integers of at most
    :data:`MAX_INT_DIGITS` digits, finite numbers only (no ``NaN``, ``Infinity`` or ``1e400``).

    A broken limit is one :class:`InputError` at ``location``; a syntax error stays a
    ``json.JSONDecodeError`` for the caller to word (:func:`loads_json` words it for you). The
    depth and finiteness walk runs only when the text could break a limit (more brackets than
    ``max_depth``, or a huge exponent), so an ordinary line pays two ``str.count`` calls and one
    regex scan.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InputError(f"JSON nested deeper than {max_depth} levels", location=location) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4300 digits, NaN / Infinity
        detail = str(exc)
        if "integer string conversion" in detail:
            detail = f"an integer has more than {MAX_INT_DIGITS} digits"
        raise InputError(detail, location=location) from None
    if text.count("[") + text.count("{") > max_depth or _MAYBE_HUGE.search(text):
        try:
            check_value(value, max_depth=max_depth)
        except ValueError as exc:
            raise InputError(str(exc), location=location) from None
    return value


def loads_json(text: str, *, location: str | Path, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """:func:`parse_json`, with a syntax error as :class:`InputError` ``malformed JSON: ...``."""
    try:
        return parse_json(text, location=location, max_depth=max_depth)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg} ({_json_where(exc)})", location=location
        ) from None


def _json_where(exc: json.JSONDecodeError) -> str:
    """Where in the text: for one line (a JSONL record, whose location names the file's line)
    the column only, or "at the end" for a cut-off record -- never an inner "line 2"."""
    body = exc.doc.rstrip("\r\n")
    if "\n" in body:
        return f"line {exc.lineno} column {exc.colno}"
    return "at the end of the line" if exc.pos >= len(body) else f"column {exc.colno}"


def loads_toml(text: str, *, location: str | Path) -> dict[str, Any]:
    """``tomllib.loads`` with :data:`MAX_TOML_DEPTH` and finite numbers; a violation is one
    :class:`InputError` at ``location``. ``tomllib.TOMLDecodeError`` passes through for the
    caller's own message."""
    import tomllib

    try:
        data = tomllib.loads(text)
        check_value(data, max_depth=MAX_TOML_DEPTH, what="TOML")
    except RecursionError:
        raise InputError(
            f"TOML nested deeper than {MAX_TOML_DEPTH} levels", location=location
        ) from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError as exc:
        raise InputError(str(exc), location=location) from None
    return data


def _bounded_lines(stream: Any, limit: int, *, skip_long: bool = False) -> Iterator[bytes]:
    """The lines of a binary stream, each read with ``readline(limit + 1)``: a line longer than
    ``limit`` bytes is never held whole; :func:`iter_text_lines` refuses it. With ``skip_long``
    the rest of such a line is read past in ``limit``-sized pieces (memory stays bounded), so
    the next line read is the next line of the file and keeps its number."""
    while True:
        data = stream.readline(limit + 1)
        if not data:
            return
        if skip_long and len(data) > limit and not data.endswith(b"\n"):
            while (rest := stream.readline(limit + 1)) and not rest.endswith(b"\n"):
                pass
        yield data


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
    for lineno, text in _text_lines(path, byte_range):
        if isinstance(text, InputError):
            raise text
        yield lineno, text


def _text_lines(
    path: str | Path, byte_range: tuple[int, int, int] | None = None, *, skip_bad: bool = False
) -> Iterator[tuple[int, str | InputError]]:
    """:func:`iter_text_lines`, with a line that is too long or not UTF-8 given as its
    :class:`InputError` instead of raised; ``skip_bad`` reads on past such a line (a too-long
    line is skipped whole). A file that cannot be read (a directory, a truncated gzip) raises."""
    path = Path(path)
    start, end, first = byte_range if byte_range is not None else (0, -1, 1)
    lineno = first - 1
    try:
        with open(path, "rb") as raw:
            stream: Any = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == GZIP_MAGIC else raw
            if byte_range is not None:
                raw.seek(start)
                lines = _until(raw, end - start)
            else:
                lines = _bounded_lines(stream, MAX_LINE_BYTES, skip_long=skip_bad)
            for lineno, data in enumerate(lines, start=first):  # noqa: B007 - used after the loop
                if len(data) > MAX_LINE_BYTES:
                    yield (
                        lineno,
                        InputError(
                            f"line longer than {MAX_LINE_BYTES} bytes (STEPS_AGENTS_MAX_LINE_BYTES)",
                            location=f"{path}:{lineno}",
                        ),
                    )
                    continue
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield (
                        lineno,
                        InputError(
                            f"not valid UTF-8 (byte {data[exc.start]:#04x} at byte offset {exc.start})",
                            location=f"{path}:{lineno}",
                        ),
                    )
                    continue
                yield lineno, text.lstrip("\ufeff") if lineno == 1 and start == 0 else text
    except (EOFError, OSError) as exc:  # gzip.BadGzipFile is an OSError
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        where = f"{path}:{lineno + 1}" if lineno else str(path)
        raise InputError(f"cannot read ({detail})", location=where) from None


def _until(raw: Any, size: int) -> Iterator[bytes]:
    """The lines of ``raw`` that start within the next ``size`` bytes."""
    while size > 0:
        data = raw.readline(MAX_LINE_BYTES + 1)
        if not data:
            return
        size -= len(data)
        yield data


def iter_json_lines(path: str | Path) -> Iterator[tuple[str, Any]]:
    """``("file:line", parsed value)`` for every non-blank line of a JSON Lines file, lazily.

    Lines come from :func:`iter_text_lines` (plain or gzip, bad bytes and over-long lines named
    by line) and are parsed by :func:`loads_json` (malformed JSON, the depth limit, huge
    integers and non-finite numbers are one :class:`InputError` at ``file:line``).
    What the value must be (an object, a given record) is the caller's check, with the location.
    """
    for lineno, line in iter_text_lines(path):
        if not line.strip():
            continue
        location = f"{path}:{lineno}"
        yield location, loads_json(line, location=location)


def iter_json_lines_lenient(path: str | Path) -> Iterator[tuple[str, Any | InputError]]:
    """:func:`iter_json_lines` that reads on past a bad line: its :class:`InputError` (too long,
    not UTF-8, malformed JSON, over a limit) comes in place of its value. A file that cannot be
    read at all (missing, a directory, a truncated gzip) still raises. For untrusted files whose
    lines are independent records (``steps eval`` task files)."""
    for lineno, line in _text_lines(path, skip_bad=True):
        location = f"{path}:{lineno}"
        if isinstance(line, InputError):
            yield location, line
            continue
        if not line.strip():
            continue
        try:
            yield location, loads_json(line, location=location)
        except InputError as error:
            yield location, error


def _same_file(a: Path, b: Path) -> bool:
    """Same file: one resolved path (symlinks and ``..`` followed), or one inode (hard links)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def refuse_overwriting(
    outputs: dict[str, str | Path | None], inputs: dict[str, str | Path | None]
) -> None:
    """Raise :class:`InputError` when an output names the same file as an input or as another
    output (``eval t.jsonl -o t.jsonl``, ``--markdown`` equal to ``-o``): writing it would
    replace the input with the output. Keys are the flags named in the message; ``None``, ``-``
    (stdout) and values with a URI scheme (``otel:spans.json`` is not a path) are skipped."""

    def paths(named: dict[str, str | Path | None]) -> list[tuple[str, Path]]:
        return [
            (flag, Path(value))
            for flag, value in named.items()
            if value is not None and str(value) not in ("", "-") and not _has_scheme(str(value))
        ]

    outs, ins = paths(outputs), paths(inputs)
    for i, (flag, out) in enumerate(outs):
        for other, path in ins + outs[:i]:
            if _same_file(out, path):
                raise InputError(
                    f"{out} is also the {other} file; writing it would replace that file:"
                    " choose another output path",
                    location=flag,
                )


def _has_scheme(value: str) -> bool:
    """``s3://b/k``, ``otel:spans.json``: a plugin source, not a local path (``C:\\x`` is one)."""
    head, sep, _ = value.partition(":")
    return bool(sep) and len(head) > 1 and head.replace("+", "").replace("-", "").isalnum()


# Characters that change what a terminal shows without being seen: C0/C1 controls and DEL
# (ANSI escapes start with ESC), zero-width characters, bidirectional overrides and isolates.
INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_INVISIBLE_INLINE = re.compile(INVISIBLE.pattern.replace("\x00-\x1f", "\x00-\x08\x0b-\x1f"))


def display_text(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to print: every control, zero-width or bidi-override character shown as
    its escape (``\\x1b``, ``\\u202e``), so a skill name cannot clear the screen or reorder a
    line; everything else, accents and scripts included, is left as it is. ``multiline`` keeps
    newlines and tabs (a whole report); otherwise they are escaped too (one name, one line)."""
    pattern = _INVISIBLE_INLINE if multiline else INVISIBLE
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
