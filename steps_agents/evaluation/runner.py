"""Where an episode is played: in this process (``--executor local``) or in a Ray worker
(``--executor ray``).

Either way the evaluator's driver judges text tasks, scores and records: only the agent, the
world session and the checker run remotely (:func:`~steps_agents.evaluation.episode.play`).
On Ray, the agents and worlds go to the object store once; every episode then sends its task
and seed, and its :class:`~steps_agents.evaluation.episode.Played` comes back. The episode's
seed depends on the run seed, the task and the repeat only, so both runners give the same
scores. The preflight (every task's oracle once, :mod:`.validity`) is spread over the workers
too, in chunks whose verdicts are put back in task order (:func:`preflight_on`).

An agent must pickle to run on Ray (a module-level class with plain fields does; an agent that
holds an open model client or a lock does not): such an agent is refused in one line before
any episode runs. Model agents gain nothing from Ray anyway (their time is the model server's):
run them with ``--executor local``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from steps_agents.errors import InputError
from steps_agents.evaluation.agents import Agent
from steps_agents.evaluation.episode import Played, play
from steps_agents.evaluation.records import ToolCallRecord
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.evaluation.validity import InvalidTask, preflight
from steps_agents.worlds import Task

if TYPE_CHECKING:
    from steps_agents.runtime.parallel import RayExecutor


class EpisodeRunner(Protocol):
    name: str

    async def play(
        self, agent: str, task: Task | TextTask, *, seed: int, repeat: int
    ) -> Played: ...


class LocalRunner:
    """Episodes as coroutines of this process's event loop."""

    name = "local"

    def __init__(
        self,
        agents: Mapping[str, Agent],
        worlds: Mapping[str, Any],
        *,
        step_limit: int,
        timeout: float | None,
    ) -> None:
        self.agents, self.worlds = agents, worlds
        self.step_limit, self.timeout = step_limit, timeout

    async def play(self, agent: str, task: Task | TextTask, *, seed: int, repeat: int) -> Played:
        world = self.worlds.get(task.world) if isinstance(task, Task) else None
        return await play(
            self.agents[agent],
            task,
            world,
            seed=seed,
            repeat=repeat,
            step_limit=self.step_limit,
            timeout=self.timeout,
        )


def _play_in_worker(
    agent: Agent,
    task: Task | TextTask,
    world: Any,
    seed: int,
    repeat: int,
    step_limit: int,
    timeout: float | None,
) -> Played:
    """One episode in a Ray worker, on an event loop of its own."""
    return asyncio.run(
        play(agent, task, world, seed=seed, repeat=repeat, step_limit=step_limit, timeout=timeout)
    )


class RayRunner:
    """Episodes as Ray tasks (one CPU each) of ``executor``'s cluster."""

    name = "ray"

    def __init__(
        self,
        executor: RayExecutor,
        agents: Mapping[str, Agent],
        worlds: Mapping[str, Any],
        *,
        step_limit: int,
        timeout: float | None,
    ) -> None:
        self.executor = executor
        self.step_limit, self.timeout = step_limit, timeout
        self.agents = {name: self._put(agent, f"agent {name!r}") for name, agent in agents.items()}
        self.worlds = {name: self._put(world, f"world {name!r}") for name, world in worlds.items()}

    def _put(self, value: Any, what: str) -> Any:
        try:
            return self.executor.put(value)
        except Exception as exc:  # Ray's serializer raises TypeError, PicklingError, ...
            text = " ".join(str(exc).split())[:200]
            raise InputError(
                f"{what} cannot be sent to Ray workers (it does not pickle: {type(exc).__name__}:"
                f" {text}); run it with --executor local"
            ) from None

    async def play(self, agent: str, task: Task | TextTask, *, seed: int, repeat: int) -> Played:
        world = self.worlds.get(task.world) if isinstance(task, Task) else None
        played: Played = await self.executor.acall(
            _play_in_worker,
            self.agents[agent],
            task,
            world,
            seed,
            repeat,
            self.step_limit,
            self.timeout,
        )
        return played


PreflightChunk = tuple[list[Task | TextTask], dict[str, Any], float | None, dict[str, str]]


def _preflight_chunk(
    chunk: PreflightChunk,
) -> tuple[list[str], list[InvalidTask], dict[str, list[ToolCallRecord]]]:
    tasks, worlds, timeout, locations = chunk
    cache: dict[str, list[ToolCallRecord]] = {}
    valid, invalid = preflight(
        tasks, worlds, timeout=timeout, oracle_cache=cache, locations=locations
    )
    return [t.id for t in valid], invalid, cache


def preflight_on(
    executor: RayExecutor,
    tasks: list[Task | TextTask],
    worlds: Mapping[str, Any],
    *,
    timeout: float | None,
    oracle_cache: dict[str, list[ToolCallRecord]],
    locations: Mapping[str, str] | None = None,
) -> tuple[list[Task | TextTask], list[InvalidTask]]:
    """:func:`~steps_agents.evaluation.validity.preflight` in chunks on ``executor``'s workers
    (four per CPU): the same valid tasks, invalid ones and oracle calls, in task order."""
    if not tasks:
        return [], []
    # A task not read from a file is named by its position in the whole list, not the chunk's.
    where = {t.id: (locations or {}).get(t.id, f"#{i}") for i, t in enumerate(tasks, start=1)}
    size = -(-len(tasks) // (4 * executor.workers))
    chunks: list[PreflightChunk] = [
        (part, dict(worlds), timeout, {t.id: where[t.id] for t in part})
        for part in (tasks[i : i + size] for i in range(0, len(tasks), size))
    ]
    valid_ids: set[str] = set()
    invalid: list[InvalidTask] = []
    for ids, bad, cache in executor.map(_preflight_chunk, chunks):
        valid_ids.update(ids)
        invalid.extend(bad)
        oracle_cache.update(cache)
    return [t for t in tasks if t.id in valid_ids], invalid
