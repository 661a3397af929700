"""Where an episode is played: in this process (``--executor local``) or in a Ray worker
(``--executor ray``).

Either way the evaluator's driver judges text tasks, scores and records: only the agent, the
world session and the checker run remotely (:func:`~steps_agents.evaluation.episode.play`).
On Ray, the agents and worlds go to the object store once; every episode then sends its task
and seed, and its :class:`~steps_agents.evaluation.episode.Played` comes back. The episode's
seed depends on the run seed, the task and the repeat only, so both runners give the same
scores.

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
from steps_agents.evaluation.texttasks import TextTask
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
