"""The evaluator's runtime context: the run's live objects, never checkpointed.

Tasks, worlds, agents, the episode runner (this process or Ray), the episode store, the judge
client and the progress line belong to a run, not to a checkpoint; LangGraph hands this object to every node as ``runtime.context``.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import Any

from steps_agents.evaluation.agents import Agent
from steps_agents.evaluation.records import ToolCallRecord, episode_key
from steps_agents.evaluation.runner import EpisodeRunner, LocalRunner
from steps_agents.evaluation.store import EpisodeStore
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.runtime.progress import Progress
from steps_agents.worlds import Task


@dataclass(frozen=True)
class EpisodeSpec:
    agent: str
    task_id: str
    repeat: int

    @property
    def key(self) -> str:
        return episode_key(self.agent, self.task_id, self.repeat)


@dataclass
class EvalContext:
    """The run's live objects (runtime context; never checkpointed)."""

    run_id: str
    tasks: dict[str, Task | TextTask]
    agents: dict[str, Agent]
    worlds: dict[str, Any]
    store: EpisodeStore
    repeats: int = 1
    step_limit: int = 50
    timeout: float | None = 300.0
    wave_size: int = 64
    concurrency: int = 8
    seed: int = 0
    judge: Any = None
    progress: Progress | None = None
    oracle_cache: dict[str, list[ToolCallRecord] | None] = field(default_factory=dict)
    episodes: list[EpisodeSpec] = field(default_factory=list)
    runner: EpisodeRunner | None = None  # where episodes are played; None: this process

    def __post_init__(self) -> None:
        if self.runner is None:
            self.runner = LocalRunner(
                self.agents, self.worlds, step_limit=self.step_limit, timeout=self.timeout
            )
        if not self.episodes:
            # Agents outermost so a comparison's first agent finishes first; then repeats, so an
            # interrupted run has whole repeats rather than a few tasks repeated R times.
            self.episodes = [
                EpisodeSpec(agent, task_id, r)
                for agent in self.agents
                for r in range(self.repeats)
                for task_id in self.tasks
            ]
        self._by_key = {e.key: e for e in self.episodes}
        self._cursor = 0
        # Episodes in flight. Not LangGraph's max_concurrency: its gate wraps each node's
        # coroutine, and a run stopped while branches wait at the gate left those coroutines
        # never awaited (a RuntimeWarning per waiting episode). A node waiting here is running.
        self.slots = asyncio.Semaphore(max(1, self.concurrency))

    def spec(self, key: str) -> EpisodeSpec:
        return self._by_key[key]

    def next_wave(self) -> list[str]:
        """The next ``wave_size`` episodes in schedule order that the store does not hold.

        A cursor, not a scan of every episode per wave: a wave ends only when each of its
        episodes is recorded (or the run stops), so nothing before the cursor is left to run.
        """
        wave: list[str] = []
        while self._cursor < len(self.episodes) and len(wave) < self.wave_size:
            key = self.episodes[self._cursor].key
            self._cursor += 1
            if key not in self.store:
                wave.append(key)
        return wave

    def episode_seed(self, spec: EpisodeSpec) -> int:
        """Distinct, reproducible per (run seed, task, repeat); the same for every agent."""
        digest = hashlib.sha256(f"{self.seed}\x1f{spec.task_id}\x1f{spec.repeat}".encode())
        return int.from_bytes(digest.digest()[:4], "big")
