"""Agents under evaluation: the protocol, the tool loop for chat models, and LangGraph graphs.

An agent gets an :class:`AgentInput` -- the instruction, the task's tools and a ``call(tool,
args)`` function that runs a tool against this episode's world state and records it in the
trace -- and returns an :class:`AgentOutput` whose ``answer`` goes to the task's checker.
The evaluator enforces the step limit in ``call`` itself (the call past the limit raises
:class:`StepLimitExceeded`), so the limit holds for every kind of agent alike. The episode
timeout is ``asyncio.wait_for`` around :meth:`Agent.arun`: it interrupts an agent at its next
``await`` (a model call, a sleep); an agent that blocks the event loop in plain Python cannot be
interrupted there -- keep long synchronous work in ``asyncio.to_thread``.

Agent specs (``steps eval --agent SPEC``), resolved by :func:`resolve_agent`:

* a registered name (``oracle``, ``random``, or anything a plugin registers with
  ``register_agents``: a factory called as ``factory(options: AgentOptions) -> Agent``);
* any form a plugin's ``resolve_agent`` hook accepts, and the two built-in forms (trylast
  resolvers in ``plugins/agents.py``, so a plugin's answer wins):
* ``model:<model spec>`` -- any LangChain tool-calling chat model opened through
  :mod:`steps_agents.models`, run by :class:`ToolLoopAgent` (:mod:`.model_agent`);
* ``path/to/file.py:name`` -- a compiled LangGraph graph (or an uncompiled ``StateGraph``), run
  by :class:`GraphAgent`. The graph is invoked with ``{"messages": [HumanMessage(instruction)]}``
  and receives the episode's tools as LangChain tools in ``config["configurable"]["tools"]``
  (bind them to a model and execute them, e.g. with ``langgraph.prebuilt.ToolNode``); the answer
  is the text of the last message of the output ``messages``.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import StructuredTool, ToolException

from steps_agents.errors import InputError, StepsError, UnknownComponentError
from steps_agents.worlds.spec import ToolError

ToolCallError = ToolError
"""What ``AgentInput.call`` raises when the world rejects a call (unknown tool, bad arguments, a
failing precondition): the world's :class:`~steps_agents.worlds.ToolError`. The agent sees the
message and may try again; the call still counts as a step."""


class StepLimitExceeded(Exception):
    """The agent tried a tool call past the episode's step limit. Agents should not catch it."""


class ToolLike(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class AgentInput:
    """Everything an agent may use for one episode.

    An agent under test gets ``task=None``: the task record holds the oracle plan and the
    checker's expected values, so the evaluator keeps it back. Only a reference agent, one that
    declares ``reference = True`` (the ``oracle`` replays the plan), gets the full record
    (:func:`is_reference`). ``world`` is the skill world (its phrases and type rules; no task's
    answers), ``None`` for text tasks.
    """

    task_id: str
    instruction: str
    tools: Sequence[ToolLike]
    call: Callable[[str, dict[str, Any]], Any]
    seed: int = 0
    step_limit: int = 50
    repeat: int = 0
    task: Any = None
    world: Any = None

    def langchain_tools(self) -> list[StructuredTool]:
        """The task's tools as LangChain tools bound to this episode's world state.

        A world error comes back to the model as the tool's error text (``handle_tool_error``);
        :class:`StepLimitExceeded` is not a ``ToolException`` and ends the episode.
        """
        return [_as_langchain_tool(spec, self.call) for spec in self.tools]


@dataclass
class AgentOutput:
    answer: Any = None
    messages: list[Any] = field(default_factory=list)


@runtime_checkable
class Agent(Protocol):
    name: str

    async def arun(self, episode: AgentInput) -> AgentOutput: ...


def is_reference(agent: Any) -> bool:
    """Does ``agent`` opt in to the full task record (``reference = True``, e.g. ``oracle``)?
    Everything else is evaluated without the oracle and the checker (``AgentInput.task`` is
    ``None``)."""
    return getattr(agent, "reference", False) is True


@dataclass(frozen=True)
class AgentOptions:
    """What an agent factory is given: the run's seed and step limit, and free-form params."""

    seed: int = 0
    step_limit: int = 50
    params: dict[str, Any] = field(default_factory=dict)
    pm: Any = None


def _as_langchain_tool(
    spec: ToolLike, call: Callable[[str, dict[str, Any]], Any]
) -> StructuredTool:
    name = spec.name

    def run(**kwargs: Any) -> str:
        try:
            return to_text(call(name, kwargs))
        except ToolCallError as exc:
            raise ToolException(f"error: {exc}") from exc

    return StructuredTool(
        name=name,
        description=spec.description or name,
        args_schema=dict(spec.parameters or {"type": "object", "properties": {}}),
        func=run,
        handle_tool_error=True,
    )


def to_text(value: Any) -> str:
    """A tool result or answer as the text a model reads (JSON for structured values)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def message_text(message: BaseMessage | Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(
            b if isinstance(b, str) else str(b.get("text", "")) if isinstance(b, dict) else ""
            for b in content
        )
    return str(content)


# ---------------------------------------------------------------------------------------------
# Tool loop for any tool-calling chat model
# ---------------------------------------------------------------------------------------------

SYSTEM_PROMPT = (
    "You are an agent that completes the user's task by calling the provided tools. Call tools"
    " one step at a time, feeding results into later calls as needed. When you are done, reply"
    " without tool calls and give only the final answer (a value or short JSON), nothing else."
)


class ToolLoopAgent:
    """The classic tool loop: ask the model, run the tool calls it made, repeat.

    Stops when the model answers without tool calls (its text is the answer). At most
    ``step_limit + 1`` model turns are taken; tool calls past the step limit raise
    :class:`StepLimitExceeded` in ``call``. ``invoke`` may replace ``model.bind_tools(...).ainvoke``
    (to route through a client's retries and accounting).
    """

    def __init__(
        self,
        model: Any,
        *,
        name: str = "model",
        system_prompt: str = SYSTEM_PROMPT,
        invoke: Callable[[Any, list[BaseMessage]], Any] | None = None,
    ) -> None:
        self.model = model
        self.name = name
        self.system_prompt = system_prompt
        self._invoke = invoke
        self.client: Any = None  # the ModelClient behind ``invoke``, when there is one

    async def _ask(self, bound: Any, messages: list[BaseMessage]) -> AIMessage:
        if self._invoke is not None:
            reply = self._invoke(bound, messages)
            reply = await reply if inspect.isawaitable(reply) else reply
        else:
            reply = await bound.ainvoke(messages)
        if not isinstance(reply, AIMessage):
            reply = AIMessage(content=message_text(reply))
        return reply

    async def arun(self, episode: AgentInput) -> AgentOutput:
        tools = {t.name: t for t in episode.tools}
        bound = (
            self.model.bind_tools([_as_langchain_tool(t, episode.call) for t in episode.tools])
            if tools
            else self.model
        )
        messages: list[BaseMessage] = [
            SystemMessage(self.system_prompt),
            HumanMessage(episode.instruction),
        ]
        for _turn in range(episode.step_limit + 1):
            reply = await self._ask(bound, messages)
            messages.append(reply)
            if not reply.tool_calls:
                return AgentOutput(answer=message_text(reply), messages=messages)
            for tc in reply.tool_calls:
                try:
                    content, status = to_text(episode.call(tc["name"], dict(tc["args"]))), "success"
                except ToolCallError as exc:
                    content, status = f"error: {exc}", "error"
                messages.append(
                    ToolMessage(
                        content=content,
                        tool_call_id=tc.get("id") or "",
                        name=tc["name"],
                        status=status,
                    )
                )
        raise StepLimitExceeded(f"no final answer within {episode.step_limit + 1} model turns")


# ---------------------------------------------------------------------------------------------
# A compiled LangGraph graph
# ---------------------------------------------------------------------------------------------


class GraphAgent:
    """Runs a LangGraph graph with the message-in, message-out convention (module docstring)."""

    def __init__(self, graph: Any, *, name: str = "graph") -> None:
        if not hasattr(graph, "ainvoke") and hasattr(graph, "compile"):
            graph = graph.compile()
        if not hasattr(graph, "ainvoke"):
            raise InputError(f"{name} is not a LangGraph graph (no ainvoke or compile)")
        self.graph = graph
        self.name = name

    async def arun(self, episode: AgentInput) -> AgentOutput:
        config = {
            "configurable": {
                "tools": episode.langchain_tools(),
                "task_id": episode.task_id,
                "step_limit": episode.step_limit,
                "thread_id": f"{episode.task_id}:{episode.repeat}",
            },
            # A tool step is at most two supersteps (model, tools); leave room for a few more.
            "recursion_limit": 2 * episode.step_limit + 10,
        }
        out = await self.graph.ainvoke({"messages": [HumanMessage(episode.instruction)]}, config)
        messages = list(out.get("messages", [])) if isinstance(out, dict) else []
        answer = message_text(messages[-1]) if messages else None
        return AgentOutput(answer=answer, messages=messages)


def load_graph(spec: str) -> Any:
    """Import ``path.py:attr`` from a file and return the attribute (one-line error if not)."""
    path_text, _, attr = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise InputError(f"graph file {path} does not exist", location=spec)
    module_name = f"_steps_agent_graph_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise InputError(f"cannot import {path}", location=spec)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise InputError(
            f"importing {path} failed: {type(exc).__name__}: {exc}", location=spec
        ) from exc
    if not hasattr(module, attr):
        raise InputError(f"{path} has no attribute {attr!r}", location=spec)
    return getattr(module, attr)


# ---------------------------------------------------------------------------------------------
# Spec resolution
# ---------------------------------------------------------------------------------------------


def is_graph_spec(spec: str) -> bool:
    path, sep, attr = spec.rpartition(":")
    return bool(sep) and path.endswith(".py") and attr.isidentifier()


# What the built-in resolvers of plugins/agents.py accept, listed when nothing takes a spec.
BUILTIN_AGENT_FORMS = ("model:<model spec>", "path/to/file.py:<graph>")


def resolve_agent(spec: str, options: AgentOptions | None = None) -> Agent:
    """Turn an agent spec (module docstring) into an :class:`Agent` named after the spec.

    A registered agent name first (``register_agents``: its factory is called with
    ``options``), then the ``resolve_agent`` hook (first answer wins; the built-in ``model:``
    and ``path.py:graph`` resolvers answer last). A spec nobody takes raises
    :class:`~steps_agents.errors.UnknownComponentError` listing the registered names and the
    built-in forms.
    """
    options = options or AgentOptions()
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import PluginError, build, call_first, collect

    pm = options.pm or default_plugin_manager()
    failures: list[PluginError] = []
    registered = collect("agent", pm, failures)
    if spec in registered:
        factory = registered[spec].obj
        agent = factory if hasattr(factory, "arun") else build(registered[spec], "agent", options)
    else:
        agent = call_first(pm, "resolve_agent", spec=spec, options=options)
        if agent is None:
            if failures:  # the broken plugin may be the one that registers this agent
                raise failures[0]
            raise UnknownComponentError("agent", spec, list(registered), forms=BUILTIN_AGENT_FORMS)
    if not hasattr(agent, "arun"):
        raise StepsError(f"agent {spec!r} resolved to {type(agent).__name__}, not an agent")
    return agent
