"""One trajectory, written in every trace format the built-in extractors read.

:func:`calls_of` reads an OpenAI chat trajectory (the bundled toolworld corpus's format) as its
user text and its tool calls ``(name, arguments, result)``; each ``to_*`` function writes that
trajectory to one format's published shape (the spec each follows is cited in
``steps_agents/plugins/traces/``). ``rename`` turns ``inbox_read`` into ``inboxRead`` so that the
converted corpora also check that tool names keep their exact spelling.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

Call = tuple[str, dict[str, Any], str]


def rename(name: str) -> str:
    """``inbox_read`` -> ``inboxRead``: a camelCase identifier a case-folding reader would change."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def calls_of(
    record: dict[str, Any], names: Callable[[str], str] = rename
) -> tuple[str, list[Call]]:
    """The user text and the ``(name, arguments, result)`` calls of an OpenAI trajectory."""
    results = {m["tool_call_id"]: m["content"] for m in record["messages"] if m["role"] == "tool"}
    text = next(m["content"] for m in record["messages"] if m["role"] == "user")
    calls = [
        (names(c["function"]["name"]), json.loads(c["function"]["arguments"]), results[c["id"]])
        for m in record["messages"]
        if m["role"] == "assistant"
        for c in m.get("tool_calls") or []
    ]
    return text, calls


def to_openai(i: int, text: str, calls: list[Call]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
    for n, (name, args, result) in enumerate(calls):
        call_id = f"call_{n}"
        function = {"name": name, "arguments": json.dumps(args)}
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": call_id, "type": "function", "function": function}],
            }
        )
        messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
    messages.append({"role": "assistant", "content": "Done."})
    return {"id": f"r{i}", "messages": messages}


def to_anthropic(i: int, text: str, calls: list[Call]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
    for n, (name, args, result) in enumerate(calls):
        use_id = f"toolu_{i:04d}{n:02d}"
        blocks = [{"type": "text", "text": "Calling a tool."}] if n == 0 else []
        blocks.append({"type": "tool_use", "id": use_id, "name": name, "input": args})
        messages.append({"role": "assistant", "content": blocks})
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use_id, "content": result}],
            }
        )
    messages.append({"role": "assistant", "content": [{"type": "text", "text": "Done."}]})
    return {"id": f"r{i}", "model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": messages}


def to_sharegpt(i: int, text: str, calls: list[Call]) -> dict[str, Any]:
    """Hermes ``<tool_call>`` turns for even ``i`` (JSON bodies, or Python-literal bodies as in
    hermes-function-calling-v1 when ``i % 4 == 2``); LLaMA-Factory ``function_call`` turns for
    odd ``i``."""
    tools = [{"type": "function", "function": {"name": name}} for name, _, _ in calls]
    turns: list[dict[str, Any]] = [
        {
            "from": "system",
            "value": "You are a function calling AI model. <tools>"
            + json.dumps(tools)
            + "</tools>",
        },
        {"from": "human", "value": text},
    ]
    for name, args, result in calls:
        if i % 2:
            turns.append(
                {"from": "function_call", "value": json.dumps({"name": name, "arguments": args})}
            )
            turns.append({"from": "observation", "value": result})
            continue
        body = {"arguments": args, "name": name}
        payload = repr(body) if i % 4 == 2 else json.dumps(body)
        turns.append({"from": "gpt", "value": f"<tool_call>\n{payload}\n</tool_call>"})
        response = json.dumps({"name": name, "content": result})
        turns.append({"from": "tool", "value": f"<tool_response>\n{response}\n</tool_response>"})
    turns.append({"from": "gpt", "value": "Done."})
    return {"id": f"r{i}", "conversations": turns}


def to_xlam(i: int, text: str, calls: list[Call]) -> dict[str, Any]:
    tools = [
        {"name": name, "description": f"The {name} tool.", "parameters": {}}
        for name in dict.fromkeys(name for name, _, _ in calls)
    ]
    answers = [{"name": name, "arguments": args} for name, args, _ in calls]
    # The published files hold JSON strings; records loaded by `datasets` hold lists.
    if i % 2:
        return {"id": i, "query": text, "tools": tools, "answers": answers}
    return {"id": i, "query": text, "tools": json.dumps(tools), "answers": json.dumps(answers)}


def _otlp_attributes(values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"key": key, "value": {"stringValue": value}} for key, value in values.items()]


def otel_spans(i: int, calls: list[Call]) -> list[dict[str, Any]]:
    """The OTLP spans of one agent run: an ``invoke_agent`` root and one ``execute_tool`` span
    per call, starting one millisecond apart."""
    trace = f"{i + 1:032x}"
    start = 1_700_000_000_000_000_000 + i * 10_000_000_000
    root = {
        "traceId": trace,
        "spanId": f"{1:016x}",
        "name": "invoke_agent helper",
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 9_000_000_000),
        "attributes": _otlp_attributes(
            {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "helper"}
        ),
    }
    spans = [root]
    for n, (name, args, _) in enumerate(calls):
        t = start + (n + 1) * 1_000_000
        spans.append(
            {
                "traceId": trace,
                "spanId": f"{n + 2:016x}",
                "parentSpanId": root["spanId"],
                "name": f"execute_tool {name}",
                "kind": 1,
                "startTimeUnixNano": str(t),
                "endTimeUnixNano": str(t + 500_000),
                "attributes": _otlp_attributes(
                    {
                        "gen_ai.operation.name": "execute_tool",
                        "gen_ai.tool.name": name,
                        "gen_ai.tool.call.id": f"call_{n}",
                        "gen_ai.tool.call.arguments": json.dumps(args),
                    }
                ),
            }
        )
    return spans


def to_otel(i: int, text: str, calls: list[Call]) -> dict[str, Any]:
    """One OTLP/JSON ``ExportTraceServiceRequest`` holding the run's trace; the tool spans are
    written in reverse so that only their start times give the call order."""
    spans = otel_spans(i, calls)
    spans = spans[:1] + spans[:0:-1]
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _otlp_attributes({"service.name": "agent"})},
                "scopeSpans": [{"scope": {"name": "agent.tracing"}, "spans": spans}],
            }
        ]
    }


def console_span(span: dict[str, Any]) -> dict[str, Any]:
    """An OTLP span as the Python SDK's ConsoleSpanExporter writes it (flat attributes dict)."""
    nanos = int(span["startTimeUnixNano"])
    seconds, rest = divmod(nanos, 1_000_000_000)
    when = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return {
        "name": span["name"],
        "context": {"trace_id": "0x" + span["traceId"], "span_id": "0x" + span["spanId"]},
        "kind": "SpanKind.INTERNAL",
        "parent_id": ("0x" + span["parentSpanId"]) if "parentSpanId" in span else None,
        "start_time": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rest // 1000:06d}Z",
        "attributes": {kv["key"]: kv["value"]["stringValue"] for kv in span["attributes"]},
    }


def to_mcp(i: int, text: str, calls: list[Call]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "agent", "version": "1.0"},
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 0,
            "result": {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "toolworld", "version": "1.0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    ]
    for n, (name, args, result) in enumerate(calls, start=2):
        messages.append(
            {
                "jsonrpc": "2.0",
                "id": n,
                "method": "tools/call",
                "params": {"name": name, "arguments": args},
            }
        )
        messages.append(
            {
                "jsonrpc": "2.0",
                "id": n,
                "result": {"content": [{"type": "text", "text": result}], "isError": False},
            }
        )
    return {"session": f"s{i}", "messages": messages}


CONVERTERS: dict[str, Callable[[int, str, list[Call]], dict[str, Any]]] = {
    "tool_calls": to_openai,
    "anthropic": to_anthropic,
    "sharegpt": to_sharegpt,
    "xlam": to_xlam,
    "otel": to_otel,
    "mcp": to_mcp,
}
