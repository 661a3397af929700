"""The skill-world protocol: what a plugin implements to offer executable skills.

Register an instance with the ``register_skill_worlds`` hook; look it up with
:func:`steps_agents.registry.get_skill_world`::

    @steps_agents.hookimpl
    def register_skill_worlds(register):
        register(MyWorld(), name="myworld")

State is a JSON-serialisable ``dict`` owned by the caller: ``new_state(seed)`` makes a fresh one,
``execute`` mutates it in place. Never keep state on the world object: one world serves many
concurrent sessions. Tools run under :func:`steps_agents.worlds.sandbox.sandboxed` (no files,
sockets or subprocesses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from steps_agents.errors import StepsError
from steps_agents.worlds.records import Task
from steps_agents.worlds.spec import ToolSpec, TypeRules

__all__ = ["CompositionError", "SkillWorld", "try_compose", "world_type_rules"]


class CompositionError(StepsError, ValueError):
    """A world cannot build a task for a combination; the message says why."""


@runtime_checkable
class SkillWorld(Protocol):
    """An executable skill world.

    Attributes:
        name: registry name (``toolworld``).
        version: changes whenever tools, states or composition change meaning; tasks record it.
    """

    name: str
    version: str

    def tool_specs(self) -> Sequence[ToolSpec]:
        """Every tool (skill) of the world, with typed ports."""
        ...

    def new_state(self, seed: int) -> dict[str, Any]:
        """A fresh, JSON-serialisable initial state; the same seed gives the same state."""
        ...

    def execute(self, state: dict[str, Any], tool: str, args: Mapping[str, Any]) -> Any:
        """Run ``tool`` on ``state`` (mutating it in place) and return a JSON-serialisable result.

        Raise :class:`~steps_agents.worlds.spec.ToolError` for an unknown tool, bad arguments or
        a failed operation (file not found, not enough stock, ...).
        """
        ...

    def compose(self, skills: Sequence[str], seed: int) -> Task | None:
        """A task whose oracle uses exactly ``skills`` (each at least once, nothing else).

        Return ``None`` -- or raise :class:`CompositionError` with the reason -- when the
        combination cannot be composed; the caller reports it and picks a replacement.
        """
        ...


def world_type_rules(world: Any) -> TypeRules:
    """The world's chaining rules: its ``type_rules`` attribute, else the defaults."""
    rules = getattr(world, "type_rules", None)
    return rules if isinstance(rules, TypeRules) else TypeRules()


def try_compose(world: SkillWorld, skills: Sequence[str], seed: int) -> tuple[Task | None, str]:
    """``(task, "ok")`` or ``(None, reason)``; a world's :class:`CompositionError` becomes the reason."""
    try:
        task = world.compose(list(skills), seed)
    except CompositionError as exc:
        return None, str(exc)
    if task is None:
        return None, f"world {world.name!r} cannot compose {', '.join(skills)}"
    return task, "ok"
