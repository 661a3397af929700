"""What every trace-format extractor shares: the extractor contract and lenient JSON parsing.

A trace extractor reads one record (one trajectory, session or trace) and returns the names of
the tools it called, in call order, exactly as spelled (a tool name is an identifier). Each
format module defines :meth:`TraceExtractor.shaped` (a cheap structural test, used by ``--extractor
auto``, that never fails on a malformed record: a record of the format's shape is claimed so
that its error is reported by the format that understands it) and
:meth:`TraceExtractor.tool_names` (raises ``ValueError`` with a one-line reason for a malformed
record; the host turns it into ``file:line: reason``).
"""

from __future__ import annotations

import ast
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from steps_agents.corpus.extract import ExtractorOptions, RecordError


class TraceExtractor(ABC):
    """Base class of the trace-format extractors (see the module docstring)."""

    name: ClassVar[str]
    auto_priority: ClassVar[int]
    expected: ClassVar[str]  # the shape, for "not a ... record" errors

    def __init__(self, options: ExtractorOptions) -> None:
        self.options = options

    @classmethod
    def claims(cls, record: Mapping[str, Any]) -> bool:
        return cls.shaped(record)

    @classmethod
    @abstractmethod
    def shaped(cls, record: Mapping[str, Any]) -> bool:
        """Whether ``record`` has this format's shape (cheap; never raises)."""

    @abstractmethod
    def tool_names(self, record: Mapping[str, Any]) -> list[str]:
        """The called tool names in call order; ``ValueError`` for a malformed record."""

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        out = []
        for i, record in enumerate(records):
            if not self.shaped(record):
                raise RecordError(i, f"not a {self.name} record: expected {self.expected}")
            try:
                out.append(self.tool_names(record))
            except ValueError as exc:
                raise RecordError(i, str(exc)) from None
        return out


def loads_lenient(text: str, where: str) -> Any:
    """Parse ``text`` as JSON, else as a Python literal (Hermes data writes tool calls as Python
    dicts, ``{'name': 'f', 'arguments': {...}}``); ``ValueError`` naming ``where`` if neither."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            return ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None


def call_name(call: Any, where: str) -> str:
    """The ``name`` of a ``{"name": ..., "arguments": ...}`` call object, checked."""
    name = call.get("name") if isinstance(call, Mapping) else None
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: a tool call without a 'name' string")
    return name
