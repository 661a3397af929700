"""The runtime context of a synthesis run (LangGraph ``context_schema``).

Everything here belongs to one process's run and never to a checkpoint: the mode and judge
objects, the model client (inside the mode and judge contexts), the taxonomy, the seed index,
the selection function, the budget, the writer and the live progress counters. The graph state
holds only JSON-serialisable plans, items, drafts and counters.
"""

from __future__ import annotations

import asyncio
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
    # The items of the pipeline's queue as asyncio tasks, by item id (see
    # steps_agents.synthesis.pipeline): started in queue order, at most ``max_running`` unfinished
    # at once, each running its own generate/judge/revise loop; a task's result (the decided
    # branch) waits here until the writer commits it in queue order (a reorder buffer).
    tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    # Queued items not started yet, in queue order, and how many started ones are unfinished.
    to_start: deque[tuple[dict[str, Any], int]] = field(default_factory=deque)
    started_ids: set[str] = field(default_factory=set)  # every item started in this process
    running: int = 0
    # Ids of started items decided "accepted" by the critic and not committed yet, and the
    # committed acceptance rate: the live estimate that starts an item only while it may be
    # needed (timing-dependent, but it only decides when work starts, never what is written).
    live_accepted: set[str] = field(default_factory=set)
    acceptance: float = 0.75
    # Of the critic-accepted items committed, how many were written (or surplus) rather than
    # rejected at commit (a near-duplicate): how much a live "accepted" is worth.
    survival: list[int] = field(default_factory=lambda: [0, 0])
    # When each started item began, how long the last finished ones took, since when the
    # commit order has been waiting for its next item (None: it is not), and the second runs
    # of slow items at the head of the queue (see pipeline._hedged).
    started_at: dict[str, float] = field(default_factory=dict)
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=64))
    waiting_since: float | None = None
    hedges: set[asyncio.Task[Any]] = field(default_factory=set)
    hedged: int = 0
    timed: int = 0
    # Every skill set the run has tried (the composer's ``exclude``), built from the state's
    # ``used`` once per process and kept up to date by the composer.
    exclude: set[frozenset[str]] | None = None
    # The skill sets of ``config.exclude`` (a split's test side, tasks already evaluated): never
    # chosen, and not the run's own choices (``SelectionRequest.outside_run``).
    outside_run: frozenset[frozenset[str]] = frozenset()
    # Parsed work items by id, so the branch's nodes do not re-validate the same JSON three or
    # more times; filled by the composer, emptied by the writer (a resumed branch re-parses).
    items: dict[str, WorkItem] = field(default_factory=dict)
    # The first model failure that is not about one item (outage, bad key, unknown model),
    # shared with the gated model clients (steps_agents.synthesis.gate): the planner stops, no
    # new call or draft starts, and the runner raises it once the graph has finished and every
    # decided sample is written.
    outage: Outage = field(default_factory=Outage)
    # Accepted samples allowed on top of ``config.n``: the singles planned and not rejected
    # (steps_agents.synthesis.singles), kept up to date from the counters by the pipeline.
    singles_allowance: int = 0

    @property
    def target(self) -> int:
        """Accepted samples the writer lets through: ``n`` plus the singles' allowance."""
        return self.config.n + self.singles_allowance

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

    def drop_tasks(self) -> None:
        """Cancel every item task not committed (the run ended, failed or was interrupted)."""
        for task in self.tasks.values():
            if task.done():
                if not task.cancelled():
                    task.exception()  # mark it retrieved: nobody will await it
            else:
                task.cancel()
        for hedge in self.hedges:
            hedge.cancel()
        self.hedges.clear()
        self.tasks.clear()
        self.started_ids.clear()
        self.started_at.clear()
        self.to_start.clear()
        self.live_accepted.clear()
        self.running = 0
