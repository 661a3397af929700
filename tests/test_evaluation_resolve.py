"""The resolve_agent hook: plugins first, the built-in model: and path.py:graph forms last."""

from __future__ import annotations

from typing import Any

import pytest

import steps_agents
from steps_agents.errors import UnknownComponentError
from steps_agents.evaluation import (
    AgentInput,
    AgentOptions,
    AgentOutput,
    ToolLoopAgent,
    resolve_agent,
)
from steps_agents.plugin_manager import get_plugin_manager


class CloudAgent:
    def __init__(self, spec: str, seed: int) -> None:
        self.name, self.seed = spec, seed

    async def arun(self, episode: AgentInput) -> AgentOutput:
        return AgentOutput(answer=self.name)


class CloudPlugin:
    """A third-party resolver: ``cloud:NAME``, and it also claims ``model:`` specs."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @steps_agents.hookimpl
    def resolve_agent(self, spec: str, options: AgentOptions) -> Any | None:
        self.asked.append(spec)
        if spec.startswith(("cloud:", "model:")):
            return CloudAgent(spec, options.seed)
        return None


def test_a_plugin_resolver_wins_over_the_builtin_fallback() -> None:
    plugin = CloudPlugin()
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(plugin,))
    options = AgentOptions(seed=7, pm=pm)
    agent = resolve_agent("model:helpers_evaluation:REPLAY_MODEL", options)
    assert isinstance(agent, CloudAgent) and agent.seed == 7  # the built-in never opened it
    assert isinstance(resolve_agent("cloud:big", options), CloudAgent)
    # Registered names come first: the hook is not asked for them.
    assert type(resolve_agent("oracle", options)).__name__ == "OracleAgent"
    assert plugin.asked == ["model:helpers_evaluation:REPLAY_MODEL", "cloud:big"]


def test_without_the_plugin_the_builtin_forms_answer() -> None:
    pm = get_plugin_manager(load_entrypoints=False)
    agent = resolve_agent("model:helpers_evaluation:REPLAY_MODEL", AgentOptions(pm=pm))
    assert (
        isinstance(agent, ToolLoopAgent) and agent.name == "model:helpers_evaluation:REPLAY_MODEL"
    )
    agent.client.close()
    with pytest.raises(UnknownComponentError) as info:
        resolve_agent("cloud:big", AgentOptions(pm=pm))
    # One line: the registered names (sorted; plugins may add some), then the built-in forms.
    message = str(info.value)
    assert message.startswith("unknown agent 'cloud:big'; available: ") and "\n" not in message
    assert "oracle, random" in message
    assert message.endswith("; or model:<model spec>, path/to/file.py:<graph>")


def test_a_plugin_that_declines_leaves_the_spec_to_the_next() -> None:
    plugin = CloudPlugin()
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(plugin,))
    with pytest.raises(UnknownComponentError, match=r"unknown agent 'orcale'; available: .*oracle"):
        resolve_agent("orcale", AgentOptions(pm=pm))
    assert plugin.asked == ["orcale"]
