"""The runtime context of a synthesis run (LangGraph ``context_schema``).

Everything here belongs to one process's run and never to a checkpoint: the mode and judge
objects, the model client (inside the mode and judge contexts), the taxonomy, the seed index,
the selection function, the budget, the writer and the live progress counters. The graph state
holds only JSON-serialisable plans, items, drafts and counters.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from steps_agents.errors import ModelCallError
from steps_agents.runtime.progress import Progress
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.gate import Outage
from steps_agents.synthesis.judge_protocol import Judge, JudgeContext
from steps_agents.synthesis.modes import ModeContext, SynthesisMode, WorkItem
from steps_agents.synthesis.store import SampleWriter


@dataclass
class Budget:
    """Model calls allowed for the whole run, across restarts.

    ``spent = base + current()``: ``base`` is what earlier processes of this run spent (read
    from the checkpoint on resume), ``current`` reads the live client's request counter (cache
    hits are free and do not count).
    """

    limit: int | None = None
    base: int = 0
    current: Callable[[], int] = field(default=lambda: 0)

    def spent(self) -> int:
        return self.base + int(self.current())

    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.spent())

    def exhausted(self) -> bool:
        return self.limit is not None and self.spent() >= self.limit


@dataclass
class Monitor:
    """Live counters for the progress line (accepted, rejected, in flight); not state."""

    progress: Progress | None = None
    in_flight: int = 0
    accepted: int = 0
    rejected: int = 0

    def started(self) -> None:
        self.in_flight += 1
        self._show(0)

    def finished(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def decided(self, status: str) -> None:
        if status == "accepted":
            self.accepted += 1
        elif status == "rejected":
            self.rejected += 1
        self._show(1 if status == "accepted" else 0)

    def _show(self, n: int) -> None:
        if self.progress is not None:
            self.progress.update(n, rejected=self.rejected, **{"in flight": self.in_flight})


@dataclass
class SynthesisContext:
    """What every node of the synthesis graph reads through ``runtime.context``."""

    config: SynthConfig
    run_id: str
    mode: SynthesisMode
    mode_ctx: ModeContext
    judges: list[Judge]
    judge_ctx: JudgeContext
    writer: SampleWriter
    select: Callable[..., list[Any]]
    taxonomy: Any = None
    pm: Any = None
    budget: Budget = field(default_factory=Budget)
    monitor: Monitor = field(default_factory=Monitor)
    model_spec: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    corpus_counts: Mapping[frozenset[str], int] | None = None
    # Drafts started ahead of their generator superstep, by (item id, revision): see
    # :func:`steps_agents.synthesis.generator.start_generation`.
    prefetch: dict[tuple[str, int], asyncio.Task[dict[str, Any]]] = field(default_factory=dict)
    # When each of those drafts started (monotonic seconds), and how long the last answered
    # drafts took from start to answer: with ``config.defer_stragglers`` a generator waits for
    # its draft only up to that multiple of the median (see generator.collect_draft).
    started: dict[tuple[str, int], float] = field(default_factory=dict)
    draft_times: deque[float] = field(default_factory=lambda: deque(maxlen=64))
    # Parsed work items by id, so the branch's nodes do not re-validate the same JSON three or
    # more times; filled by the composer, emptied by the writer (a resumed branch re-parses).
    items: dict[str, WorkItem] = field(default_factory=dict)
    # The first model failure that is not about one item (outage, bad key, unknown model),
    # shared with the gated model clients (steps_agents.synthesis.gate): the planner stops, no
    # new call or draft starts, and the runner raises it once the graph has finished and every
    # decided sample is written.
    outage: Outage = field(default_factory=Outage)

    @property
    def failure(self) -> ModelCallError | None:
        return self.outage.error

    def fail(self, error: ModelCallError) -> None:
        """Record a run-stopping model failure (the first one wins). Drafts already started are
        not cancelled: one whose call is in flight may still be answered (and is then judged
        and written); one still waiting for a slot is refused by the gate without a call."""
        self.outage.record(error)

    def work_item(self, data: Mapping[str, Any]) -> WorkItem:
        """The :class:`WorkItem` a branch carries as JSON (parsed once per process)."""
        item = self.items.get(str(data.get("id", "")))
        if item is None:
            item = WorkItem.model_validate(data)
        return item

    def draft_finished(self, key: tuple[str, int], *, timed: bool) -> None:
        """The draft ``key`` ended (answered, failed or cancelled); with ``timed``, record how
        long it took (for the straggler deadline)."""
        begun = self.started.pop(key, None)
        if begun is not None and timed:
            self.draft_times.append(time.monotonic() - begun)

    def median_draft_time(self) -> float | None:
        """The median of the recent draft times, once there are enough to trust (8)."""
        if len(self.draft_times) < 8:
            return None
        return statistics.median(self.draft_times)

    def drop_prefetch(self) -> None:
        """Cancel every draft started ahead and not collected (the run ended or failed)."""
        for task in self.prefetch.values():
            if task.done():
                if not task.cancelled():
                    task.exception()  # mark it retrieved: nobody will await it
            else:
                task.cancel()
        self.prefetch.clear()
        self.started.clear()
