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

    def __init__(
        self, kind: str, name: str, available: list[str], *, forms: tuple[str, ...] = ()
    ) -> None:
        """``available``: the registered names (listed sorted); ``forms``: the spec forms that
        are also accepted (``model:<model spec>``), listed after them as given."""
        self.kind, self.name, self.available = kind, name, sorted(available)
        listing = ", ".join(self.available) or "none registered"
        if forms:
            listing += "; or " + ", ".join(forms)
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


class ModelCallError(StepsError, RuntimeError):
    """A model call failed for good: a retryable error (rate limit, server error, timeout,
    connection) outlived its retries, or the provider refused the request (an HTTP 4xx).

    The provider's own exception is kept as ``__cause__``; ``spec``, ``attempts`` and
    ``status_code`` (the HTTP status, when the error carried one) are there for callers that
    decide whether one failed item or the whole run should stop: see :attr:`item_specific`.
    """

    # Refusals about this one request (malformed, too long, unprocessable content); every other
    # refusal (401 key, 403 permission, 404 model, ...) and every exhausted retry is about the
    # service or the setup, so it would fail every other item too.
    ITEM_STATUSES = frozenset({400, 413, 422})

    def __init__(
        self,
        message: str,
        *,
        spec: str = "",
        attempts: int = 1,
        status_code: int | None = None,
        kind: str = "",
    ) -> None:
        """``kind``: what failed, in words (``"empty reply"``, ``"authentication"``, ...; see
        :func:`steps_agents.models.retry.classify`)."""
        super().__init__(message)
        self.spec, self.attempts, self.status_code = spec, attempts, status_code
        self.kind = kind

    @property
    def item_specific(self) -> bool:
        """True when only this request was refused (HTTP 400, 413, 422): record the item as
        failed and go on. False (outage, bad key, unknown model): stop the run, keep what is
        done, and let the user rerun to resume."""
        return self.status_code in self.ITEM_STATUSES


class OutputError(StepsError, OSError):
    """An output could not be written (no such directory, a file in the way, permission
    denied, disk full). The message names the path the user gave, not a temporary file."""

    def __init__(self, path: str | Path, error: OSError | str) -> None:
        reason = error if isinstance(error, str) else (error.strerror or str(error))
        self.path = str(path)
        StepsError.__init__(
            self,
            f"{self.path}: cannot write ({reason}); check the path, its permissions and"
            " the free disk space",
        )

    def __str__(self) -> str:  # OSError would otherwise format its own errno/strerror
        return str(self.args[0])
