"""Opening a corpus: any source a plugin recognises, read lazily as ``(location, record)`` pairs.

A *source* is a path or a URI. :func:`open_corpus` asks the ``open_corpus_source`` hook (a
``firstresult`` hook: the first plugin that recognises the source wins; the built-in JSONL reader
is ``trylast`` so a user's plugin can take over any source). Records are mappings; locations are
strings such as ``"corpus.jsonl:12"`` so every error can point at a file and a line.

The built-in reader, :func:`read_jsonl`, streams JSON Lines, plain or gzip-compressed (detected by
the gzip magic bytes, not only the ``.gz`` suffix), one record per line; blank lines are skipped.
Nothing is held in memory beyond the current line, so a corpus of millions of records is fine.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import pluggy

from steps_agents.errors import InputError
from steps_agents.fileformats import iter_text_lines, parse_json

GZIP_MAGIC = b"\x1f\x8b"
# Suffixes the built-in reader claims outright; other existing files are claimed if they look
# like JSON Lines (first non-blank byte is "{").
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_uri(source: str) -> bool:
    """``True`` for ``scheme://...`` sources (left to plugins), ``False`` for local paths."""
    return bool(_URI.match(source))


def _open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text, transparently gunzipping when it starts with the gzip magic."""
    raw = open(path, "rb")  # noqa: SIM115 - ownership passes to the returned wrapper
    try:
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        if head == GZIP_MAGIC:
            return io.TextIOWrapper(gzip.GzipFile(fileobj=raw, mode="rb"), encoding="utf-8")
        return io.TextIOWrapper(raw, encoding="utf-8")
    except BaseException:
        raw.close()
        raise


def looks_like_jsonl(path: Path) -> bool:
    """A cheap sniff for files without a known suffix: the first non-blank character is ``{``."""
    try:
        with _open_text(path) as fh:
            chunk = fh.read(4096)
    except (OSError, UnicodeDecodeError, EOFError):
        return False
    stripped = chunk.lstrip("\ufeff \t\r\n")
    return stripped.startswith("{")


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError("no such corpus file", location=path)
    if path.is_dir():
        raise InputError("is a directory, expected a JSONL file", location=path)


def read_jsonl(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Stream ``(location, record)`` from a JSON Lines file, plain or gzipped.

    The file is checked when this function is called (so a missing file fails at once); lines
    are read lazily. Invalid JSON, a line that is not a JSON object, or bytes that are not UTF-8
    raise :class:`InputError` naming ``file:line``.
    """
    path = Path(path)
    _check_readable(path)
    return _iter_jsonl(path)


def _iter_jsonl(
    path: Path, byte_range: tuple[int, int, int] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Records of ``path`` (of one shard of it with ``byte_range``: see ``iter_text_lines``)."""
    name = str(path)
    # iter_text_lines decodes line by line, so a bad byte or a truncated gzip names its own line.
    for lineno, line in iter_text_lines(path, byte_range):
        if not line.strip():
            continue
        location = f"{name}:{lineno}"
        try:
            record = parse_json(line, location=location)
        except json.JSONDecodeError as exc:
            hint = ""
            if lineno == 1 and line.lstrip().startswith("["):
                hint = "; this looks like a JSON array: write one JSON object per line"
            elif lineno == 1 and line.strip() == "{":
                hint = (
                    "; this looks like pretty-printed JSON: write one JSON object per line"
                    " (an OpenTelemetry span export is read as otel:FILE)"
                )
            raise InputError(
                f"invalid JSON ({exc.msg} at column {exc.colno}){hint}", location=location
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                f"expected a JSON object per line, got {type(record).__name__}",
                location=location,
            )
        yield location, record


def open_corpus(
    source: str | os.PathLike[str],
    *,
    options: Mapping[str, Any] | None = None,
    pm: pluggy.PluginManager | None = None,
    require_records: bool = True,
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Open ``source`` through the ``open_corpus_source`` hook and stream ``(location, record)``.

    Raises :class:`InputError` when no plugin recognises the source (a missing local file is
    reported as such) and, with ``require_records`` (the default), when the corpus turns out to
    hold no records at all.
    """
    from steps_agents.plugin_manager import default_plugin_manager

    pm = pm or default_plugin_manager()
    text = os.fspath(source)
    from steps_agents.registry import call_first

    opened: Iterable[Any] | None = call_first(
        pm, "open_corpus_source", source=text, options=dict(options or {})
    )
    if opened is None:
        if not is_uri(text) and not Path(text).exists():
            raise InputError("no such corpus file", location=text)
        what = "a directory" if not is_uri(text) and Path(text).is_dir() else "this source"
        raise InputError(
            f"no corpus source plugin recognises {what}; the built-in reader takes JSON Lines"
            f" ({', '.join(JSONL_SUFFIXES)}); install a plugin for other formats",
            location=text,
        )
    return _checked(text, opened, require_records)


def _checked(
    source: str, opened: Iterable[Any], require_records: bool
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    seen = 0
    for item in opened:
        try:
            location, record = item
        except (TypeError, ValueError):
            raise InputError(
                "the corpus source plugin yielded something other than (location, record)",
                location=source,
            ) from None
        if type(record) is not dict and not isinstance(record, Mapping):
            raise InputError(
                f"expected a record object, got {type(record).__name__}", location=str(location)
            )
        seen += 1
        yield str(location), record
    if require_records and seen == 0:
        raise InputError("the corpus is empty (no records)", location=source)
