"""One classification of model errors for every call site, and the wait before a retry.

:func:`classify` sorts an exception into a :class:`Failure` with a ``kind`` (a short name for the
one line a user sees) and a ``verdict``:

- ``RETRY`` (retried with backoff, then the run stops and keeps its decided work): rate limits
  (429), server errors (408, 409, 425, 5xx), network errors and timeouts, and replies that came
  back with HTTP 200 but are unusable -- malformed (a body or answer that is not JSON),
  truncated (``finish_reason: "length"``; the client doubles ``max_tokens`` where the API takes
  it), wrong schema (the answer does not validate) and empty (no text, no tool call);
- ``ITEM`` (only this request was refused: HTTP 400, 413, 422): the caller rejects the item with
  the reason and goes on;
- ``FATAL`` (authentication 401/403, unknown model 404, any other 4xx): retrying or going on
  would fail every other item too, so the run stops at once in one line with the advice for it;
- ``None``: not a model error at all (a bug): it propagates unchanged.

Why status 200 needs care: langchain-openai attaches the HTTP response to errors it raises while
*parsing* a reply (``LengthFinishReasonError``, ``JSONDecodeError``), so such an error carries
status 200. A 2xx status is therefore never read as a refusal: the error is classified by what it
is (a malformed or truncated reply, both retryable).

The HTTP status is read from the exception (``status_code``, ``status``, ``code`` or
``response.status_code``); without one, the class names in the exception's MRO (``RateLimit``,
``Timeout``, ``APIConnection``, ``InternalServer``, ...) and ``httpx.TransportError`` mark
retryable errors, so this works for any provider SDK without importing it.

Backoff before attempt ``n`` (``n = 1`` is the first retry): ``backoff * 2**(n-1)`` seconds, capped
at ``max_delay``, with "equal jitter" (uniform in ``[d/2, d]``) so many concurrent callers that hit
a rate limit together do not return together; a server's ``Retry-After`` header, when present and
longer, wins.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Any, Literal

from steps_agents.models.negotiate import refused_parameter
from steps_agents.models.status import status_of

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
RETRYABLE_NAME_PARTS = (
    "RateLimit",
    "Timeout",
    "APIConnection",
    "Connection",
    "InternalServer",
    "ServiceUnavailable",
    "Overloaded",
    "ServerError",
    "TooManyRequests",
)


def _transport_errors() -> tuple[type[BaseException], ...]:
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx comes with langchain-core's dependencies
        return ()
    return (httpx.TransportError,)


Verdict = Literal["retry", "item", "fatal"]
RETRY: Verdict = "retry"
ITEM: Verdict = "item"
FATAL: Verdict = "fatal"

# Kinds of failure (the words a user reads in the stop line and the circuit breaker's key).
RATE_LIMIT, SERVER, NETWORK, TIMEOUT = "rate limit", "server error", "network error", "timeout"
MALFORMED, TRUNCATED = "malformed reply", "truncated reply"
WRONG_SCHEMA, EMPTY = "wrong-schema reply", "empty reply"
AUTH, UNKNOWN_MODEL, REFUSED = "authentication", "unknown model", "refused request"

ITEM_STATUSES = frozenset({400, 413, 422})


@dataclass(frozen=True)
class Failure:
    """What went wrong with one model call: its ``kind`` and what to do (``verdict``)."""

    kind: str
    verdict: Verdict

    @property
    def retryable(self) -> bool:
        return self.verdict == RETRY


class ReplyProblem(ValueError):
    """A reply that arrived (HTTP 200) but cannot be used: ``kind`` is :data:`EMPTY`,
    :data:`TRUNCATED`, :data:`MALFORMED` or :data:`WRONG_SCHEMA` (all retryable)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _names(error: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(error).__mro__]


def _from_status(status: int) -> Failure:
    if status == 429:
        return Failure(RATE_LIMIT, RETRY)
    if status in RETRYABLE_STATUS or status >= 500:
        return Failure(SERVER, RETRY)
    if status in (401, 403):
        return Failure(AUTH, FATAL)
    if status == 404:
        return Failure(UNKNOWN_MODEL, FATAL)
    if status in ITEM_STATUSES:
        return Failure(REFUSED, ITEM)
    return Failure(REFUSED, FATAL)


def classify(error: BaseException) -> Failure | None:
    """The :class:`Failure` of ``error`` (see the module docstring); ``None`` for a bug."""
    # A request refused because of one parameter the server does not take is a capability
    # answer (structured-output negotiation steps down a form), classified before the status rules.
    if refused_parameter(error) is not None:  # a capability answer, never an outage
        return Failure(REFUSED, ITEM)
    if isinstance(error, ReplyProblem):
        return Failure(error.kind, RETRY)
    names = _names(error)
    if "StructuredOutputInvalid" in names:
        return Failure(WRONG_SCHEMA, RETRY)
    if "LengthFinishReasonError" in names:
        return Failure(TRUNCATED, RETRY)
    if isinstance(error, asyncio.TimeoutError | TimeoutError) or any("Timeout" in n for n in names):
        return Failure(TIMEOUT, RETRY)
    if isinstance(error, (ConnectionError, *_transport_errors())):
        return Failure(NETWORK, RETRY)
    status = status_of(error)
    if status is not None and status >= 300:  # a 2xx rode along on a parsing error: see above
        return _from_status(status)
    if isinstance(error, json.JSONDecodeError) or "ContentFilterFinishReasonError" in names:
        return Failure(MALFORMED, RETRY)
    if any(part in name for name in names for part in RETRYABLE_NAME_PARTS):
        kind = RATE_LIMIT if any("RateLimit" in n or "TooMany" in n for n in names) else NETWORK
        if any(p in n for n in names for p in ("InternalServer", "ServiceUnavailable", "Server")):
            kind = SERVER
        return Failure(kind, RETRY)
    if status is not None:  # a 2xx on some other parsing error: the reply was unusable
        return Failure(MALFORMED, RETRY)
    return None


def is_retryable(error: BaseException) -> bool:
    """True when :func:`classify` says the call is worth another attempt."""
    failure = classify(error)
    return failure is not None and failure.retryable


def retry_after(error: BaseException) -> float | None:
    """Seconds from a ``Retry-After`` response header (numeric form only)."""
    headers: Any = getattr(getattr(error, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def backoff_delay(
    attempt: int,
    *,
    backoff: float,
    max_delay: float = 60.0,
    error: BaseException | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based); see the module docstring."""
    if backoff <= 0:
        base = 0.0
    else:
        ceiling = min(max_delay, backoff * 2 ** (attempt - 1))
        base = (rng or random).uniform(ceiling / 2, ceiling)
    hint = retry_after(error) if error is not None else None
    return max(base, min(hint, max_delay)) if hint is not None else base
