"""A test agent plugin that fails every task holding two given skills, and helpers around it."""

from __future__ import annotations

from typing import Any

import steps_agents
from steps_agents.evaluation.agents import AgentInput, AgentOptions, AgentOutput
from steps_agents.hookspecs import Register
from steps_agents.worlds import oracle_answer, resolve_refs


class PairFailingAgent:
    """Runs the oracle plan (so every skill is called correctly), then answers wrongly whenever
    the task holds both ``skills``: a pure composition failure."""

    name = "fails-pair"

    def __init__(self, skills: tuple[str, str]) -> None:
        self.skills = frozenset(skills)

    async def arun(self, episode: AgentInput) -> AgentOutput:
        task = episode.task
        results: dict[str, Any] = {}
        for step in task.oracle:
            results[step.id] = episode.call(step.tool, resolve_refs(step.args, results))
        if self.skills <= set(task.skills):
            return AgentOutput(answer="not the answer")
        return AgentOutput(answer=oracle_answer(task, results))


class PairFailingPlugin:
    """Registers ``fails-pair``; ``--agent-opt skills=[a, b]`` picks the pair."""

    def __init__(self, skills: tuple[str, str]) -> None:
        self.skills = skills

    @steps_agents.hookimpl
    def register_agents(self, register: Register) -> None:
        def factory(options: AgentOptions) -> PairFailingAgent:
            return PairFailingAgent(tuple(options.params.get("skills", self.skills)))  # type: ignore[arg-type]

        register(factory, name="fails-pair")
