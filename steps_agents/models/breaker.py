"""A circuit breaker: stop a run early when the model's recent answers are mostly one failure.

Retries get a run past scattered faults, but when a server answers *every* request with the same
failure (an empty reply, a malformed body, a 500), each call would spend all its retries before
the run learns that, and a run with hundreds of calls queued would burn minutes doing so.

:class:`CircuitBreaker` keeps the outcome of the last ``window`` attempts of one client (``None``
for an answer, otherwise the failure kind from :func:`~steps_agents.models.retry.classify`). It
trips when at least ``min_attempts`` outcomes are recorded and one failure kind makes up at least
``threshold`` of them: with the defaults (20, 10, 0.8), 10 failures of one kind in a row, or 16
of the last 20. Rate limits never trip it: a ``Retry-After`` says the server is alive and when to
come back, so those are left to the backoff. Scattered mixed faults (20% of requests, nine kinds)
stay far below the threshold.
"""

from __future__ import annotations

import threading
from collections import Counter, deque

from steps_agents.models.retry import RATE_LIMIT


class CircuitBreaker:
    """Outcomes of the last ``window`` attempts; :meth:`record` says when the breaker trips."""

    def __init__(self, window: int = 20, min_attempts: int = 10, threshold: float = 0.8) -> None:
        self.window, self.min_attempts, self.threshold = window, min_attempts, threshold
        self._outcomes: deque[str | None] = deque(maxlen=window)
        self._lock = threading.Lock()

    def record(self, kind: str | None) -> tuple[str, int, int] | None:
        """Add one attempt's outcome; ``(kind, count, attempts)`` when ``kind`` now dominates."""
        with self._lock:
            self._outcomes.append(kind)
            if kind is None or kind == RATE_LIMIT or len(self._outcomes) < self.min_attempts:
                return None
            count = Counter(self._outcomes)[kind]
            if count >= self.threshold * len(self._outcomes):
                return kind, count, len(self._outcomes)
            return None
