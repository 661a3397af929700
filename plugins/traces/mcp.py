"""The ``mcp`` extractor: Model Context Protocol JSON-RPC session logs (``tools/call``).

Spec: MCP, server features, tools (https://modelcontextprotocol.io/specification/2025-06-18/server/tools):
a client calls a tool with the JSON-RPC 2.0 request ``{"jsonrpc": "2.0", "id": 2, "method":
"tools/call", "params": {"name": "get_weather", "arguments": {...}}}``; the server answers with
``{"jsonrpc": "2.0", "id": 2, "result": {"content": [...], "isError": false}}``.

A record is one session: ``{"messages": [message, ...]}`` holding the JSON-RPC messages in the
order they were sent (a JSON-RPC batch, a list inside the list, is read in order). The skills
are ``params.name`` of every ``tools/call`` request. A record that is a single JSON-RPC message
is refused: a line of a message log is not a session (write one session per line).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from steps_agents.plugins.traces.common import TraceExtractor, call_name

TOOLS_CALL = "tools/call"


def _is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("jsonrpc") == "2.0"


def _messages(record: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    messages = record.get("messages")
    if not isinstance(messages, list):
        return
    for i, message in enumerate(messages):
        batch = message if isinstance(message, list) else [message]
        for j, item in enumerate(batch):
            if _is_message(item):
                yield (f"messages[{i}][{j}]" if batch is message else f"messages[{i}]"), item


class MCPExtractor(TraceExtractor):
    """Tool names of the ``tools/call`` requests in an MCP session log."""

    name = "mcp"
    auto_priority = 25
    expected = "'messages' holding MCP JSON-RPC messages (one session per record)"

    @classmethod
    def shaped(cls, record: Mapping[str, Any]) -> bool:
        return _is_message(record) or next(_messages(record), None) is not None

    def tool_names(self, record: Mapping[str, Any]) -> list[str]:
        if _is_message(record):
            raise ValueError(
                "a single JSON-RPC message: a record is one session, write"
                ' {"messages": [every message of the session]} per line'
            )
        names = []
        for where, message in _messages(record):
            if message.get("method") == TOOLS_CALL:
                names.append(call_name(message.get("params"), f"{where}.params"))
        return names
