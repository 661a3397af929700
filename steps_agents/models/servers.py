"""Several servers behind one client: least-loaded choice, health, adaptive concurrency.

A run may name several OpenAI-compatible servers (``--base-url`` repeated, or ``base_url = [...]``
in ``steps.toml``), each written ``URL`` or ``URL#N`` (at most ``N`` calls in flight at that
server). Every *attempt* of a model call takes a slot of one server from a :class:`ServerPool`:

- **least loaded first**: among the servers that have a free slot and are in the rotation, the
  one with the smallest share of its current limit in use (ties: the order given);
- **total**: at most ``concurrency`` attempts in flight over all servers together;
- **adaptive concurrency** (AIMD, per server): a rate limit (429) or a timeout multiplies the
  server's limit by :data:`DECREASE` (at most once per round of requests: only a request sent
  after the last decrease can cause another), every answer adds ``1/limit`` (about one slot per
  round of answers) up to the server's ``N``, a quarter of that within one slot of the limit
  last refused (so the probe above a server's capacity, one refusal per cycle, comes four times
  less often); a ``Retry-After`` pauses the server for that long;
- **health**: :data:`DOWN_AFTER` outage failures in a row (network error, 5xx, timeout) take a
  server out of the rotation for a cooldown (2 s, doubled at each relapse up to 60 s); after it,
  one probe request is let through and its answer brings the server back. Each server has its own
  :class:`~steps_agents.models.breaker.CircuitBreaker`: when it trips, the server leaves the
  rotation too. The run stops (the client raises) only when every server is out and each has
  either tripped its breaker or failed its probe after a rest (a blip shorter than the cooldown
  is waited out). With a single server nothing is ever taken out: its breaker stops the run, as
  before.

The pool belongs to one event loop (the client keeps one per loop); its state is touched only
from that loop, so it needs no locks.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from steps_agents.models.breaker import CircuitBreaker
from steps_agents.models.retry import NETWORK, RATE_LIMIT, SERVER, TIMEOUT, retry_after

log = logging.getLogger(__name__)

DECREASE = 0.7  # multiplicative decrease of a server's limit on a 429 or a timeout
DOWN_AFTER = 3  # outage failures in a row that take a server out of the rotation
COOLDOWN, MAX_COOLDOWN = 2.0, 60.0  # seconds out of the rotation, doubled at each relapse
MAX_PAUSE = 60.0  # longest Retry-After honoured
NEAR_SATURATION = 4  # growth divided by this within one slot of the last refused limit
OUTAGE_KINDS = frozenset({NETWORK, SERVER, TIMEOUT})
BACKOFF_KINDS = frozenset({RATE_LIMIT, TIMEOUT})


@dataclass(frozen=True)
class ServerSpec:
    """One server as written: its URL and its own limit (``None``: only the total applies)."""

    url: str
    concurrency: int | None = None

    def __str__(self) -> str:
        return self.url if self.concurrency is None else f"{self.url}#{self.concurrency}"


def parse_server(text: str) -> ServerSpec:
    """``URL`` or ``URL#N`` -> :class:`ServerSpec`; ``ValueError`` with one line otherwise."""
    text = str(text).strip()
    url, sep, limit = text.rpartition("#")
    url = url.strip() if sep else text
    if not url:
        raise ValueError(f"empty server URL in {text!r}")
    if not sep:
        return ServerSpec(url)
    if not limit.strip().isdigit() or int(limit) < 1:
        raise ValueError(f"{text!r}: the concurrency after '#' must be a whole number >= 1")
    return ServerSpec(url, int(limit))


@dataclass
class Endpoint:
    """A server the client calls: its URL (``None`` for a provider or local model), the chat
    model object that talks to it, and its own limit (``None``: only the total applies)."""

    url: str | None
    model: Any
    concurrency: int | None = None


@dataclass
class ServerState:
    """What the pool knows about one server (see the module docstring)."""

    index: int
    url: str | None
    ceiling: int
    limit: float = 0.0
    in_flight: int = 0
    paused_until: float = 0.0  # Retry-After, or out of the rotation until then
    down: bool = False
    tripped: bool = False  # out because its breaker tripped (not just a failure streak)
    probing: bool = False
    relapses: int = 0  # probes that failed since it was last taken out
    cooldown: float = COOLDOWN
    streak: int = 0  # outage failures in a row
    last_decrease: float = -math.inf
    saturated: float | None = None  # the limit the last decrease was made at
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    answered: int = 0
    failed: int = 0
    peak_in_flight: int = 0

    def __post_init__(self) -> None:
        self.limit = float(self.ceiling)

    def free(self, now: float) -> int:
        """Slots this server can take now."""
        if self.paused_until > now:
            return 0
        if self.down:
            return 0 if self.probing else 1
        return max(0, math.floor(self.limit) - self.in_flight)

    def name(self) -> str:
        return self.url or "the model"


class AllServersDown(Exception):
    """Raised by :meth:`ServerPool.release` when a tripped breaker leaves no server in the
    rotation: ``tripped`` is the breaker's ``(kind, count, attempts)``."""

    def __init__(self, tripped: tuple[str, int, int]) -> None:
        super().__init__(tripped)
        self.tripped = tripped


class ServerPool:
    """Slots over the servers of one client on one event loop (module docstring)."""

    def __init__(self, endpoints: list[Endpoint], total: int) -> None:
        self.total = max(1, total)
        self.states = [
            ServerState(i, e.url, min(e.concurrency or self.total, self.total))
            for i, e in enumerate(endpoints)
        ]
        self.in_flight = 0
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def several(self) -> bool:
        return len(self.states) > 1

    def _choose(self, now: float) -> ServerState | None:
        if self.in_flight >= self.total:
            return None
        candidates = [s for s in self.states if s.free(now) > 0]
        if not candidates:
            return None
        return min(candidates, key=lambda s: (s.in_flight / max(s.limit, 1.0), s.index))

    def _next_change(self, now: float) -> float | None:
        """Seconds until a paused or resting server may take a request again."""
        waits = [s.paused_until - now for s in self.states if s.paused_until > now]
        return max(0.01, min(waits)) if waits else None

    async def acquire(self) -> ServerState:
        """A slot on the least-loaded server that can take one; waits for one otherwise."""
        while True:
            now = time.monotonic()
            state = self._choose(now)
            if state is not None:
                state.in_flight += 1
                state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
                self.in_flight += 1
                if state.down:
                    state.probing = True
                return state
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, self._next_change(now))
            except TimeoutError:
                pass
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def abandon(self, state: ServerState) -> None:
        """Give a slot back without an outcome (the call was cancelled, or failed on a bug)."""
        state.in_flight -= 1
        self.in_flight -= 1
        state.probing = False
        self._wake()

    def release(
        self,
        state: ServerState,
        started: float,
        kind: str | None,
        error: BaseException | None = None,
    ) -> tuple[str, int, int] | None:
        """Give the slot back with the attempt's outcome (``kind``: ``None`` for an answer, else
        the failure kind). Returns the breaker's trip for a single server (the caller stops);
        raises :class:`AllServersDown` when a trip leaves no server of several in the rotation."""
        state.in_flight -= 1
        self.in_flight -= 1
        try:
            return self._record(state, started, kind, error)
        finally:
            self._wake()

    def _record(
        self, state: ServerState, started: float, kind: str | None, error: BaseException | None
    ) -> tuple[str, int, int] | None:
        now = time.monotonic()
        was_probe, state.probing = state.probing, False
        if kind is None:
            state.answered += 1
            state.streak = 0
            if state.down:
                self._restore(state)
            step = 1.0 / max(state.limit, 1.0)
            if state.saturated is not None:
                if state.limit >= state.saturated + 1:  # past it without a refusal: grew
                    state.saturated = None
                elif state.limit + step > state.saturated - 1:  # near where it was refused
                    step /= NEAR_SATURATION
            state.limit = min(float(state.ceiling), state.limit + step)
            state.breaker.record(None)
            return None
        state.failed += 1
        if kind in BACKOFF_KINDS and started >= state.last_decrease:
            state.saturated = state.limit
            state.limit = max(1.0, state.limit * DECREASE)
            state.last_decrease = now
        hint = retry_after(error) if error is not None and kind == RATE_LIMIT else None
        if hint:
            state.paused_until = max(state.paused_until, now + min(hint, MAX_PAUSE))
        state.streak = state.streak + 1 if kind in OUTAGE_KINDS else 0
        tripped = state.breaker.record(kind)
        if not self.several:
            return tripped
        if tripped is not None:
            self._take_out(
                state,
                now,
                f"{tripped[1]} of its last {tripped[2]} attempts failed ({kind})",
                tripped=True,
            )
        elif was_probe or state.streak >= DOWN_AFTER:
            self._take_out(state, now, f"{state.streak} failures in a row ({kind})")
        if all(s.down and (s.tripped or s.relapses) for s in self.states):
            # every server is out and failed again after its rest (or tripped): stop
            failed = sum(s.failed for s in self.states)
            raise AllServersDown(
                tripped or (kind, failed, failed + sum(s.answered for s in self.states))
            )
        return None

    def _take_out(self, state: ServerState, now: float, why: str, *, tripped: bool = False) -> None:
        if state.down:  # its probe failed
            state.cooldown = min(MAX_COOLDOWN, state.cooldown * 2)
            state.relapses += 1
        state.down, state.tripped = True, state.tripped or tripped
        state.paused_until = max(state.paused_until, now + state.cooldown)
        log.warning(
            "server %s out of the rotation for %.0f s: %s", state.name(), state.cooldown, why
        )

    def _restore(self, state: ServerState) -> None:
        state.down = state.tripped = False
        state.cooldown, state.relapses = COOLDOWN, 0
        state.breaker = CircuitBreaker(
            state.breaker.window, state.breaker.min_attempts, state.breaker.threshold
        )
        log.warning("server %s answers again: back in the rotation", state.name())

    def report(self) -> list[dict[str, Any]]:
        """Per server: URL, answers, failures, current and highest limit and peak in flight."""
        return [
            {
                "url": s.url,
                "answered": s.answered,
                "failed": s.failed,
                "limit": round(s.limit, 2),
                "ceiling": s.ceiling,
                "peak_in_flight": s.peak_in_flight,
                "down": s.down,
            }
            for s in self.states
        ]
