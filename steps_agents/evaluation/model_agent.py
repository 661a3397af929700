"""``model:<spec>`` agents: a tool-calling chat model opened through :mod:`steps_agents.models`.

Each turn of the tool loop goes through ``client.view(client.model.bind_tools(tools))``: a
client for the tool-bound model that shares the parent's response cache, concurrency slots,
retries and usage counters. The tool schemas go into ``cache_key_extra`` so two tasks with the
same words but different tools never share a cached answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from langchain_core.messages import BaseMessage

from steps_agents.errors import InputError
from steps_agents.evaluation.agents import AgentOptions, ToolLoopAgent


def tool_turn_invoker(client: Any) -> Any:
    """An ``invoke(bound_model, messages)`` for :class:`ToolLoopAgent` routed through ``client``."""

    async def invoke(bound: Any, messages: list[BaseMessage]) -> Any:
        tools = getattr(bound, "kwargs", {}).get("tools", [])
        digest = hashlib.sha256(
            json.dumps(tools, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()
        return await client.view(bound).ainvoke(messages, cache_key_extra=f"tools:{digest}")

    return invoke


def supports_tools(model: Any) -> bool:
    """True unless ``model`` is a LangChain chat model still on the base-class ``bind_tools``."""
    from langchain_core.language_models import BaseChatModel

    method = getattr(type(model), "bind_tools", None)
    return method is not None and method is not BaseChatModel.bind_tools


def model_agent(spec: str, options: AgentOptions, *, name: str) -> ToolLoopAgent:
    """Open ``spec``; ``options.params`` holds a ready ``client``, or the ``model_options``
    (a :class:`~steps_agents.models.ModelOptions`) and ``cache_path`` to open it with."""
    client = options.params.get("client")
    if client is None:
        from steps_agents.models import open_model

        client = open_model(
            spec,
            options.params.get("model_options"),
            cache_path=options.params.get("cache_path"),
            pm=options.pm,
        )
    if not supports_tools(client.model):
        client.close()
        raise InputError(
            f"model {spec!r} cannot call tools (its bind_tools is not implemented); use a"
            " tool-calling chat model",
            location=name,
        )
    agent = ToolLoopAgent(client.model, name=name, invoke=tool_turn_invoker(client))
    agent.client = client  # the CLI reports its usage and closes it
    return agent
