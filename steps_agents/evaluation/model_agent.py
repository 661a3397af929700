"""``model:<spec>`` agents: a tool-calling chat model opened through :mod:`steps_agents.models`.

``ModelClient`` has no tool-calling call of its own, so each turn of the tool loop goes through
a *view* client: a ``ModelClient`` wrapped around the tool-bound model
(``client.model.bind_tools(tools)``) that shares the parent client's response cache, concurrency
semaphores and usage counters. The cache key gets the tool schemas as ``cache_key_extra`` so two
tasks with the same words but different tools never share an answer. This reads two private
attributes of ``ModelClient`` (``_semaphores``; ``usage`` is public) and is the only place that
does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from langchain_core.messages import BaseMessage

from steps_agents.evaluation.agents import AgentOptions, ToolLoopAgent


def tool_turn_invoker(client: Any) -> Any:
    """An ``invoke(bound_model, messages)`` for :class:`ToolLoopAgent` routed through ``client``."""
    from steps_agents.models import ModelClient

    async def invoke(bound: Any, messages: list[BaseMessage]) -> Any:
        tools = getattr(bound, "kwargs", {}).get("tools", [])
        extra = hashlib.sha256(
            json.dumps(tools, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()
        view = ModelClient(
            bound,
            spec=client.spec,
            cache=client.cache,
            concurrency=client.concurrency,
            max_retries=client.max_retries,
            timeout=client.timeout,
            backoff=client.backoff,
            key_params=client.key_params,
            structured=client.structured,
        )
        view.usage = client.usage
        view._semaphores = client._semaphores
        return await view.ainvoke(messages, cache_key_extra=f"tools:{extra}")

    return invoke


def model_agent(spec: str, options: AgentOptions, *, name: str) -> ToolLoopAgent:
    """Open ``spec`` (``options.params`` may hold a ready ``client`` or open_model keywords)."""
    client = options.params.get("client")
    if client is None:
        from steps_agents.models import open_model

        kwargs = {k: v for k, v in options.params.items() if k != "client"}
        client = open_model(spec, pm=options.pm, **kwargs)
    return ToolLoopAgent(client.model, name=name, invoke=tool_turn_invoker(client))
