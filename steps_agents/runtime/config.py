"""Run configurations from ``steps.toml`` tables and command-line flags, validated by pydantic.

Every configuration of the project (``ModelOptions``, ``SynthConfig`` from ``[synth]``,
``EvalConfig`` from ``[eval]``) is a pydantic model; this module reads its table, merges the
flags, and turns a validation problem into one :class:`~steps_agents.errors.InputError` line
naming the field where the user wrote it: ``steps.toml: synth.k: ...`` for the file,
``--concurrency: ...`` for a flag. Flags win over the file; the file wins over the defaults.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from steps_agents.errors import InputError
from steps_agents.fileformats import loads_toml

M = TypeVar("M", bound=BaseModel)


def validation_line(error: ValidationError) -> tuple[str, str]:
    """``(field, message)`` of a pydantic error's first problem, the message on one line.

    ``field`` is the dotted location (``"k"``, ``"model.timeout"``), empty for the whole model.
    """
    first = error.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return field, " ".join(message.split())


def validate_or_raise(cls: type[M], values: Mapping[str, Any], location: Callable[[str], str]) -> M:
    """``cls.model_validate(values)``, or one :class:`InputError` line at ``location(field)``."""
    try:
        return cls.model_validate(dict(values))
    except ValidationError as error:
        field, message = validation_line(error)
        raise InputError(message, location=location(field)) from None


def read_config_table(path: str | Path, table: str) -> dict[str, Any]:
    """The ``[table]`` of a TOML file (the whole file if it has no such table).

    Every way the file can fail to be read is one :class:`InputError` naming it: missing, a
    directory or unreadable (any ``OSError``), not UTF-8, not TOML.
    """
    path = Path(path)
    try:
        data = loads_toml(path.read_text(encoding="utf-8"), location=path)
    except FileNotFoundError:
        raise InputError("no such config file", location=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a TOML file", location=path) from None
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise InputError(f"cannot read ({reason})", location=path) from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"not valid UTF-8 (byte offset {error.start}); save the file as UTF-8", location=path
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML ({error})", location=path) from None
    section = data.get(table, data)
    if not isinstance(section, dict):
        raise InputError(f"[{table}] must be a table", location=path)
    return section


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def has_scheme(value: str) -> bool:
    """``True`` when ``value`` starts with a URI scheme of two or more characters (``s3://b/k``,
    or a plugin source such as ``otel:spans.json`` or ``anthropic:traces.jsonl``): not a path,
    so never made relative to the config file. A one-letter prefix is a Windows drive
    (``C:\\data``)."""
    return bool(_SCHEME.match(value))


def flag_for(field: str) -> str:
    """The command-line flag of a config field: ``max_retries`` -> ``--max-retries``."""
    return "--" + field.replace("_", "-") if field else "options"


def load_config(
    cls: type[M],
    table: str,
    file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    paths: Collection[str] = (),
    flag: Callable[[str], str] = flag_for,
) -> M:
    """``cls`` from the file's ``[table]`` (if a file is given) merged with ``overrides``.

    ``None`` overrides are ignored (a flag left out); a mapping override is merged key by key
    into the file's sub-table of that name. The keys in ``paths`` (``a.b``: key ``b`` of the
    sub-table ``a``) hold relative paths, resolved against the file's directory. The file is
    validated on its own first, so a bad value in it is named ``FILE: table.field``; a bad flag
    is named by ``flag(field)``.
    """
    values: dict[str, Any] = {}
    if file is not None:
        values = read_config_table(file, table)
        base = Path(file).parent
        for key in paths:
            table_name, _, sub = key.rpartition(".")  # "selector_options.focus": a sub-table key
            holder = values.get(table_name) if table_name else values
            raw = holder.get(sub) if isinstance(holder, dict) else None
            if isinstance(raw, str) and raw and not Path(raw).is_absolute() and not has_scheme(raw):
                holder[sub] = str(base / raw)  # type: ignore[index]
        validate_or_raise(cls, values, lambda f: f"{file}: {table}.{f}" if f else str(file))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if isinstance(value, Mapping) and isinstance(values.get(key), Mapping):
            value = {**values[key], **value}  # a sub-table: flags replace only their own keys
        values[key] = value
    return validate_or_raise(cls, values, flag)
