"""The project's exceptions: one base class and a few subclasses.

Each subclass also inherits the matching builtin so callers that already catch ``KeyError`` or
``ValueError`` keep working. Messages are one line and say what to do next; the CLI prints them
as ``error: <message>`` on stderr with exit code 2 (input problems) or 1 (run failures).
"""

from __future__ import annotations

from pathlib import Path


class StepsError(Exception):
    """Base class of every error steps-agents raises on purpose."""

    exit_code = 1


class InputError(StepsError, ValueError):
    """Bad user input: a file, a record, a flag or a config field.

    ``location`` names where (``corpus.jsonl:12``, ``steps.toml: synth.k``) and is prefixed to the
    message so the user can jump straight to it.
    """

    exit_code = 2

    def __init__(self, message: str, *, location: str | Path | None = None) -> None:
        self.location = str(location) if location is not None else None
        self.detail = message
        super().__init__(f"{self.location}: {message}" if self.location else message)


class UnknownComponentError(StepsError, KeyError):
    """A component (extractor, selector, judge, world, ...) was asked for by a name nobody registered."""

    exit_code = 2

    def __init__(self, kind: str, name: str, available: list[str]) -> None:
        self.kind, self.name, self.available = kind, name, sorted(available)
        listing = ", ".join(self.available) or "none registered"
        super().__init__(f"unknown {kind} {name!r}; available: {listing}")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])


class DuplicateComponentError(StepsError, ValueError):
    """Two plugins registered the same component name."""

    exit_code = 2


class MissingExtraError(StepsError, ImportError):
    """An optional dependency is needed; the message names the pip extra that brings it."""

    exit_code = 2

    def __init__(self, feature: str, extra: str, package: str) -> None:
        super().__init__(
            f"{feature} needs the {package!r} package: pip install 'steps-agents[{extra}]'"
        )


class ModelOutputError(StepsError, ValueError):
    """A model's answer could not be parsed into the expected structure (after retries)."""


class RunInterrupted(StepsError, RuntimeError):
    """A run stopped before it finished; rerun with the same run id to resume."""
