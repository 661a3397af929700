"""Built-in plugin: the reference agents ``oracle`` and ``random``, and the built-in agent spec
forms ``model:<model spec>`` and ``path/to/file.py:graph``, written as a third party would.

* ``oracle`` replays the task's oracle plan through the episode's tools, resolving each
  ``{"$ref": "step.path"}`` against the results it got, and answers what the checker expects.
  It passes every valid task; a failure means the task or the world is broken.
* ``random`` is a floor: seeded by the episode seed, it calls a few random tools of the task with
  plausible random arguments (enum values, words and numbers from the instruction, values from
  earlier results) and answers something random. It should pass almost nothing with k >= 2.

The spec forms are one ``trylast`` implementation of the ``resolve_agent`` hook, so any user
plugin answers first. A third-party resolver looks the same, without ``trylast``::

    @steps_agents.hookimpl
    def resolve_agent(spec, options):
        if spec.startswith("mycloud:"):
            return MyCloudAgent(spec.removeprefix("mycloud:"), seed=options.seed)
        return None  # not mine: let the next plugin try
"""

from __future__ import annotations

import random
import re
from typing import Any

import steps_agents
from steps_agents.evaluation.agents import (
    AgentInput,
    AgentOptions,
    AgentOutput,
    GraphAgent,
    is_graph_spec,
    load_graph,
)
from steps_agents.evaluation.model_agent import model_agent
from steps_agents.worlds import ToolError, oracle_answer, resolve_refs


class OracleAgent:
    name = "oracle"
    reference = True  # reads the task record: its plan and expected answers

    async def arun(self, episode: AgentInput) -> AgentOutput:
        task = episode.task
        if not hasattr(task, "oracle"):  # a SkillBench text task: the reference answer
            return AgentOutput(answer=getattr(task, "reference", ""))
        results: dict[str, Any] = {}
        for step in task.oracle:
            results[step.id] = episode.call(step.tool, resolve_refs(step.args, results))
        return AgentOutput(answer=oracle_answer(task, results))


_TOKEN = re.compile(r"[A-Za-z0-9_./@:+-]+")


def _scalars(value: Any, out: list[Any], limit: int = 200) -> None:
    if len(out) >= limit:
        return
    if isinstance(value, dict):
        for v in value.values():
            _scalars(v, out, limit)
    elif isinstance(value, list):
        for v in value[:20]:
            _scalars(v, out, limit)
    elif value is not None:
        out.append(value)


class RandomAgent:
    """Random calls and a random answer; ``calls`` bounds how many tools it tries."""

    name = "random"

    def __init__(self, seed: int = 0, calls: int = 3) -> None:
        self.seed = seed
        self.calls = calls

    def _value(
        self,
        schema: dict[str, Any],
        rng: random.Random,
        words: list[str],
        seen: list[Any],
        depth: int = 0,
    ) -> Any:
        if "enum" in schema and schema["enum"]:
            return rng.choice(schema["enum"])
        kind = schema.get("type", "string")
        if isinstance(kind, list):
            kind = rng.choice([k for k in kind if k != "null"] or ["string"])
        wanted: type | tuple[type, ...] = str if kind == "string" else (int, float)
        pool = [v for v in seen if isinstance(v, wanted) and not isinstance(v, bool)]
        if kind in ("string", "integer", "number") and pool and rng.random() < 0.4:
            value = rng.choice(pool)
            return int(value) if kind == "integer" and isinstance(value, float) else value
        if kind == "integer":
            low = int(schema.get("minimum", 0))
            return rng.randint(low, max(low, int(schema.get("maximum", low + 20))))
        if kind == "number":
            low_f = float(schema.get("minimum", 0))
            high_f = max(low_f, float(schema.get("maximum", low_f + 100)))
            return round(rng.uniform(low_f, high_f), 2)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "array" and depth < 3:
            items = schema.get("items", {"type": "string"})
            return [
                self._value(items, rng, words, seen, depth + 1) for _ in range(rng.randint(1, 3))
            ]
        if kind == "object" and depth < 3:
            return self._args(schema, rng, words, seen, depth + 1)
        return rng.choice(words) if words else "x"

    def _args(
        self,
        schema: dict[str, Any],
        rng: random.Random,
        words: list[str],
        seen: list[Any],
        depth: int = 0,
    ) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties", {}) or {}
        required = set(schema.get("required", []) or [])
        return {
            name: self._value(sub if isinstance(sub, dict) else {}, rng, words, seen, depth)
            for name, sub in props.items()
            if name in required or rng.random() < 0.3
        }

    async def arun(self, episode: AgentInput) -> AgentOutput:
        rng = random.Random(f"{self.seed}:{episode.seed}:{episode.task_id}:{episode.repeat}")
        words = _TOKEN.findall(episode.instruction) or ["x"]
        seen: list[Any] = []
        tools = list(episode.tools)
        for _ in range(min(self.calls, episode.step_limit) if tools else 0):
            spec = rng.choice(tools)
            try:
                _scalars(
                    episode.call(spec.name, self._args(spec.parameters, rng, words, seen)), seen
                )
            except ToolError:
                continue
        if seen and rng.random() < 0.5:
            return AgentOutput(answer=rng.choice(seen))
        if rng.random() < 0.5:
            return AgentOutput(answer=rng.randint(0, 100))
        return AgentOutput(answer=" ".join(rng.choice(words) for _ in range(rng.randint(1, 5))))


def _random_factory(options: AgentOptions) -> RandomAgent:
    return RandomAgent(seed=options.seed, calls=int(options.params.get("calls", 3)))


@steps_agents.hookimpl
def register_agents(register: Any) -> None:
    register(lambda options: OracleAgent(), name="oracle")
    register(_random_factory, name="random")


@steps_agents.hookimpl(trylast=True)
def resolve_agent(spec: str, options: AgentOptions) -> Any | None:
    """``path/to/file.py:graph`` -> :class:`GraphAgent`; ``model:<model spec>`` -> a tool loop
    over that chat model (:func:`~steps_agents.evaluation.model_agent.model_agent`)."""
    if is_graph_spec(spec):
        return GraphAgent(load_graph(spec), name=spec)
    if spec.startswith("model:"):
        return model_agent(spec.removeprefix("model:"), options, name=spec)
    return None
