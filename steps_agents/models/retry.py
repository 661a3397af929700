"""Which model errors are worth retrying, and how long to wait before the next attempt.

Classification is generic, so it works for any provider SDK without importing it:

- an HTTP status on the exception (``status_code``, ``status``, ``code`` or
  ``response.status_code``): 408, 409, 425, 429 and every 5xx are retryable, other 4xx are not;
- otherwise the class names in the exception's MRO: ``RateLimit``, ``Timeout``,
  ``APIConnection``, ``Connection``, ``InternalServer``, ``ServiceUnavailable``, ``Overloaded``,
  ``ServerError``, ``TooManyRequests`` mark retryable errors (openai, anthropic, httpx, ...);
- ``asyncio.TimeoutError``/``TimeoutError``, ``ConnectionError`` and (when httpx is installed)
  ``httpx.TransportError`` (connect, read, write, pool and protocol errors) are retryable.

Everything else (bad request, authentication, a bug) propagates at once.

Backoff before attempt ``n`` (``n = 1`` is the first retry): ``backoff * 2**(n-1)`` seconds, capped
at ``max_delay``, with "equal jitter" (uniform in ``[d/2, d]``) so many concurrent callers that hit
a rate limit together do not return together; a server's ``Retry-After`` header, when present and
longer, wins.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

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


def status_of(error: BaseException) -> int | None:
    """The HTTP status an SDK exception carries, if any."""
    for holder in (error, getattr(error, "response", None)):
        if holder is None:
            continue
        for attribute in ("status_code", "status", "code"):
            value = getattr(holder, attribute, None)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
    return None


def _transport_errors() -> tuple[type[BaseException], ...]:
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx comes with langchain-core's dependencies
        return ()
    return (httpx.TransportError,)


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, asyncio.TimeoutError | TimeoutError | ConnectionError):
        return True
    if isinstance(error, _transport_errors()):
        return True
    status = status_of(error)
    if status is not None:
        return status in RETRYABLE_STATUS or status >= 500
    names = [cls.__name__ for cls in type(error).__mro__]
    return any(part in name for name in names for part in RETRYABLE_NAME_PARTS)


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
