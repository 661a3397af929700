"""The ``anthropic`` extractor: Anthropic Messages API conversations with ``tool_use`` blocks.

Spec: Anthropic Messages API, tool use (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview,
https://docs.anthropic.com/en/api/messages). An assistant message's ``content`` is a list of
blocks; a tool call is ``{"type": "tool_use", "id": "toolu_...", "name": "get_weather",
"input": {...}}``, answered in the next user message by a ``tool_result`` block. Server tools
(``server_tool_use``) and MCP connector calls (``mcp_tool_use``) carry a ``name`` the same way.

A record is one conversation, ``{"messages": [...], "system": ..., "tools": [...]}`` (the
request body shape, with the assistant turns included), or one Messages API response,
``{"type": "message", "role": "assistant", "content": [...]}``. The skills are the ``name`` of
every tool-use block of the assistant turns, in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from steps_agents.plugins.traces.common import TraceExtractor, call_name

TOOL_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


def _tool_blocks(record: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(where, block)`` for every tool-use block of the record's assistant turns."""
    turns: list[tuple[str, Any]] = []
    if record.get("type") == "message" and record.get("role") == "assistant":
        turns.append(("content", record.get("content")))
    messages = record.get("messages")
    if isinstance(messages, list):
        turns.extend(
            (f"messages[{i}].content", m.get("content"))
            for i, m in enumerate(messages)
            if isinstance(m, Mapping) and m.get("role") == "assistant"
        )
    for where, content in turns:
        if isinstance(content, list):
            for j, block in enumerate(content):
                if isinstance(block, Mapping) and block.get("type") in TOOL_BLOCKS:
                    yield f"{where}[{j}]", block


class AnthropicExtractor(TraceExtractor):
    """Tool names of the ``tool_use`` blocks in an Anthropic Messages conversation."""

    name = "anthropic"
    auto_priority = 21
    expected = "'messages' whose assistant turns hold 'tool_use' content blocks"

    @classmethod
    def shaped(cls, record: Mapping[str, Any]) -> bool:
        return next(_tool_blocks(record), None) is not None

    def tool_names(self, record: Mapping[str, Any]) -> list[str]:
        return [call_name(block, where) for where, block in _tool_blocks(record)]
