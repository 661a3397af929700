"""A fault server with a capacity: HTTP 429 for a request that arrives above ``capacity`` in flight.

``CapacityServer(capacity=3, service_time=0.05)`` answers like :class:`fault_server.FaultServer`
(its seeded faults still apply, ``rate=0`` by default) after ``service_time`` seconds per request,
and refuses a request with 429 (and ``Retry-After: retry_after``, when given) when, counting it,
more than ``capacity`` requests are being served. ``down=True`` makes every request fail with
``down_status`` (a 5xx storm). :attr:`arrivals` keeps, per request in arrival order, the number
in flight counting it (``in_flight``), the status sent, and when it was received and answered
(``start``, ``end``: monotonic seconds); :meth:`concurrency_seen` reads the concurrency each
answered request was served at from those times.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from fault_server import FaultServer


class CapacityServer(FaultServer):
    def __init__(
        self,
        *,
        capacity: int | None = None,
        service_time: float = 0.0,
        retry_after: str | None = None,
        down_status: int | None = None,
        **fault_options: Any,
    ) -> None:
        super().__init__(**fault_options)
        self.capacity, self.service_time = capacity, service_time
        self.retry_after, self.down_status = retry_after, down_status
        self.arrivals: list[dict[str, Any]] = []
        self._serving = 0
        self._count_lock = threading.Lock()

    def _answer(
        self, fault: str | None, body: dict[str, Any], messages: list[dict[str, Any]], prompt: str
    ) -> tuple[int, Any, dict[str, str]]:
        with self._count_lock:
            self._serving += 1
            arrival = {"in_flight": self._serving, "prompt": prompt, "start": time.monotonic()}
            self.arrivals.append(arrival)
        try:
            if self.down_status is not None:
                arrival["status"] = self.down_status
                return self.down_status, {"error": {"message": "injected outage"}}, {}
            if self.capacity is not None and arrival["in_flight"] > self.capacity:
                arrival["status"] = 429
                headers = {"retry-after": self.retry_after} if self.retry_after else {}
                payload = {"error": {"message": "over capacity", "type": "rate_limit_exceeded"}}
                return 429, payload, headers
            time.sleep(self.service_time)
            status, payload, headers = super()._answer(fault, body, messages, prompt)
            arrival["status"] = status
            return status, payload, headers
        finally:
            with self._count_lock:
                self._serving -= 1
                arrival["end"] = time.monotonic()

    def served(self) -> int:
        """Requests answered with 200."""
        return sum(1 for a in self.arrivals if a.get("status") == 200)

    def concurrency_seen(self) -> list[int]:
        """Per answered request, in arrival order: how many answered requests were being
        served at its midpoint (itself included): the concurrency it was served at."""
        done = [a for a in self.arrivals if a.get("status") == 200 and "end" in a]
        seen = []
        for a in done:
            middle = (a["start"] + a["end"]) / 2
            seen.append(sum(1 for b in done if b["start"] <= middle < b["end"]))
        return seen
