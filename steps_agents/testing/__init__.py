"""Helpers for testing a steps-agents plugin without installing it or calling a model.

- :func:`plugin_manager` ``(*plugins, builtins=None)``: a fresh plugin manager holding your
  plugin objects (modules or instances), and the built-ins (all of them, or only those named),
  and no third-party entry point;
- :func:`use_plugin_manager` ``(pm)``: a context manager making ``pm`` the manager the ``steps``
  command uses, so ``steps_agents.cli.main([...])`` runs in process with your plugin;
- :func:`judge_input` / :func:`judge_context` / :func:`run_judge`: a draft as judges see it and a
  way to call a judge (sync or async) on it;
- :func:`compose_any` and :func:`task_session`: a verified task of a world (the first
  composable combination of ``k`` tools, or the skills you name) and a session over it;
- :func:`run_agent`: one episode of an agent on a task, checked by the task's checker;
- :func:`offline_model`: the project's deterministic ``fake:echo`` chat model (no network).

The pytest fixtures are in :mod:`steps_agents.testing.fixtures`; enable them with
``pytest_plugins = ["steps_agents.testing.fixtures"]`` in your ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pluggy

from steps_agents import hookspecs
from steps_agents import plugin_manager as _pm_module
from steps_agents.errors import InputError
from steps_agents.records import Combination, Verdict

__all__ = [
    "compose_any",
    "judge_context",
    "judge_input",
    "offline_model",
    "plugin_manager",
    "run_agent",
    "run_judge",
    "task_session",
    "use_plugin_manager",
]


def plugin_manager(*plugins: object, builtins: Sequence[str] | None = None) -> pluggy.PluginManager:
    """A fresh manager with ``plugins`` and the built-ins, never the installed entry points.

    ``builtins=None`` registers every built-in (what ``steps`` runs with); a list registers
    only those named, by module (``"steps_agents.plugins.agentic_mode"``) or by the last part
    of it (``"agentic_mode"``), so a test proves which built-ins your plugin relies on.
    """
    if builtins is None:
        return _pm_module.get_plugin_manager(load_entrypoints=False, extra_plugins=plugins)
    wanted = {name if "." in name else f"steps_agents.plugins.{name}" for name in builtins}
    unknown = wanted - set(_pm_module.BUILTIN_PLUGINS)
    if unknown:
        raise InputError(f"no built-in plugin {sorted(unknown)[0]!r}")
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for name in _pm_module.BUILTIN_PLUGINS:
        if name in wanted:
            pm.register(importlib.import_module(name), name=name)
    for plugin in plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


@contextlib.contextmanager
def use_plugin_manager(pm: pluggy.PluginManager) -> Iterator[pluggy.PluginManager]:
    """Make ``pm`` the process-wide manager (what the CLI uses) inside the ``with`` block."""
    previous = _pm_module._DEFAULT
    _pm_module._DEFAULT = pm
    try:
        yield pm
    finally:
        _pm_module._DEFAULT = previous


def judge_input(
    text: str = "Add 2 and 3.",
    answer: str = "5",
    *,
    skills: Sequence[str] = ("math_add",),
    mode: str = "instruct",
    draft: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Any:
    """A :class:`~steps_agents.synthesis.judge_protocol.JudgeInput`: a user ``text``, an
    assistant ``answer``, a work item over ``skills`` (gain 0, selector ``test``)."""
    from steps_agents.synthesis.judge_protocol import JudgeInput
    from steps_agents.synthesis.modes import WorkItem, item_id

    combination = Combination(skills=tuple(skills), k=len(skills), gain=0.0, selector="test")
    item = WorkItem(
        id=item_id(mode, skills),
        mode=mode,
        combination=combination,
        payload=dict(payload or {}),
    )
    messages = [{"role": "user", "content": text}, {"role": "assistant", "content": answer}]
    return JudgeInput(item=item, draft=dict(draft or {"text": text}), messages=messages)


def judge_context(**fields: Any) -> Any:
    """A :class:`~steps_agents.synthesis.judge_protocol.JudgeContext` with ``fields`` set
    (``pm``, ``options``, ``seed``, ``model``, ``corpus``, ...)."""
    from steps_agents.synthesis.judge_protocol import JudgeContext

    return JudgeContext(**fields)


def run_judge(judge: Any, sample: Any, ctx: Any = None) -> Verdict | None:
    """Call ``judge.judge(sample, ctx)`` (awaiting it when it is a coroutine), after
    ``judge.setup(ctx)`` when the judge has one, as a run does."""
    ctx = ctx if ctx is not None else judge_context()

    async def go() -> Verdict | None:
        if hasattr(judge, "setup"):
            ready = judge.setup(ctx)
            if inspect.isawaitable(ready):
                await ready
        verdict = judge.judge(sample, ctx)
        return await verdict if inspect.isawaitable(verdict) else verdict

    return asyncio.run(go())


def _world(world: Any, pm: pluggy.PluginManager | None) -> Any:
    if isinstance(world, str):
        from steps_agents.registry import get_skill_world

        return get_skill_world(world, pm)
    return world


def compose_any(
    world: Any,
    k: int = 2,
    *,
    skills: Sequence[str] | None = None,
    seed: int = 0,
    pm: pluggy.PluginManager | None = None,
) -> Any:
    """A verified :class:`~steps_agents.worlds.Task` of ``world`` (an object or a registered
    name): for ``skills`` when given, else for the first combination of ``k`` tools (in
    ``tool_specs()`` order) the world composes. Raises ``AssertionError`` naming the reasons
    when none composes."""
    from steps_agents.worlds import try_compose

    world = _world(world, pm)
    names = [spec.name for spec in world.tool_specs()]
    combos = [tuple(skills)] if skills is not None else itertools.combinations(names, k)
    reasons = []
    for combo in combos:
        task, reason = try_compose(world, combo, seed)
        if task is not None:
            return task
        reasons.append(reason)
    raise AssertionError(f"world {world.name!r} composes no k={k} task: {reasons[:3]}")


def task_session(world: Any, k: int = 2, **compose: Any) -> Any:
    """A :class:`~steps_agents.worlds.TaskSession` over :func:`compose_any`'s task (``compose``:
    its ``skills``, ``seed`` and ``pm``)."""
    from steps_agents.worlds import TaskSession

    world = _world(world, compose.get("pm"))
    return TaskSession(world, compose_any(world, k, **compose))


def run_agent(
    agent: Any,
    task: Any,
    world: Any,
    *,
    step_limit: int = 50,
    pm: pluggy.PluginManager | None = None,
) -> Any:
    """One episode of ``agent`` on ``task`` as ``steps eval`` runs it (the same step limit; the
    task record only for a reference agent): ``(AgentOutput, CheckOutcome)``."""
    from steps_agents.evaluation.agents import is_reference
    from steps_agents.evaluation.episode import agent_input, build_env

    world = _world(world, pm)
    env = build_env(task, world, step_limit)
    inp = agent_input(env, seed=0, repeat=0, world=world, reference=is_reference(agent))
    output = asyncio.run(agent.arun(inp))
    assert env.session is not None
    return output, env.session.check(output.answer)


def offline_model(mode: str = "echo") -> Any:
    """The deterministic offline chat model ``fake:echo`` (a LangChain ``BaseChatModel``)."""
    from steps_agents.models.offline import make_offline_model

    return make_offline_model(f"fake:{mode}", {})
