"""Call and token accounting for one :class:`~steps_agents.models.ModelClient`.

Counters (all integers, summed over the client's life):

- ``calls``: requests actually sent to a model (every attempt, retries included);
- ``cache_hits``: answers served from the response cache (no request sent);
- ``retries``: attempts repeated after a retryable error or a malformed structured answer;
- ``failures``: requests that gave up (non-retryable error, or retries exhausted);
- ``input_tokens`` / ``output_tokens``: from each answer's ``usage_metadata`` when the model
  reports it (cache hits add nothing: they cost nothing).

``by_model`` keeps the same counters per model spec, so a run with a generator and a judge model
can report each. Updates take a lock because sync callers may share a client across threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any

COUNTERS = ("calls", "cache_hits", "retries", "failures", "input_tokens", "output_tokens")


@dataclass
class Counts:
    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


@dataclass
class Usage(Counts):
    by_model: dict[str, Counts] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, spec: str, **deltas: int) -> None:
        """Add ``deltas`` (counter name -> increment) to the totals and to ``by_model[spec]``."""
        unknown = set(deltas) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown usage counters: {sorted(unknown)}")
        with self._lock:
            per_model = self.by_model.setdefault(spec, Counts())
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + int(delta))
                setattr(per_model, name, getattr(per_model, name) + int(delta))

    def merge(self, other: Usage) -> None:
        """Add every counter of ``other`` (e.g. a judge model's client) into this one."""
        for spec, counts in list(other.by_model.items()):
            self.add(spec, **counts.as_dict())

    def summary(self) -> str:
        """One line for a run report, e.g. ``12 calls, 3 cache hits, 1 retry, 0 failures,
        1,234 tokens in / 567 out``."""
        retries = "retry" if self.retries == 1 else "retries"
        failures = "failure" if self.failures == 1 else "failures"
        calls = "call" if self.calls == 1 else "calls"
        hits = "cache hit" if self.cache_hits == 1 else "cache hits"
        return (
            f"{self.calls} {calls}, {self.cache_hits} {hits}, {self.retries} {retries},"
            f" {self.failures} {failures}, {self.input_tokens:,} tokens in /"
            f" {self.output_tokens:,} out"
        )

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            totals: dict[str, Any] = {name: int(getattr(self, name)) for name in COUNTERS}
            totals["by_model"] = {spec: c.as_dict() for spec, c in sorted(self.by_model.items())}
        return totals
