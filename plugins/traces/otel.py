"""The ``otel`` extractor and the ``otel:`` source: OpenTelemetry GenAI spans exported as JSON.

Specs:

- OpenTelemetry semantic conventions for generative AI, tool execution
  (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/#execute-tool-span): a
  tool call is a span with ``gen_ai.operation.name`` = ``execute_tool`` and the attribute
  ``gen_ai.tool.name``; every span of one agent run shares its ``traceId``.
- OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), as written by
  the Collector's file exporter or sent to ``/v1/traces``: ``{"resourceSpans": [{"resource":
  ..., "scopeSpans": [{"scope": ..., "spans": [{"traceId": "5b8e...", "spanId": ..., "name":
  "execute_tool get_weather", "startTimeUnixNano": "1700000000000000000", "attributes":
  [{"key": "gen_ai.tool.name", "value": {"stringValue": "get_weather"}}]}]}]}]}`` (ids are hex,
  64-bit integers are strings; ``instrumentationLibrarySpans`` is the pre-1.0 name of
  ``scopeSpans``).
- Flat spans, as the OpenTelemetry Python SDK's ``ConsoleSpanExporter`` writes them
  (``ReadableSpan.to_json``): ``{"name": ..., "context": {"trace_id": "0x5b8e...", "span_id":
  ...}, "start_time": "2025-01-01T00:00:00.000000Z", "attributes": {"gen_ai.tool.name": ...}}``;
  ``traceId``/``trace_id`` at the top level are read too.

A record is one trace: an OTLP document, or ``{"spans": [span, ...]}``. The skills are the
``gen_ai.tool.name`` of its spans, ordered by start time (document order when a span has no
start time): a tool counts when it was executed (its own span), not when a model asked for it
(the tool calls inside a chat span's ``gen_ai.output.messages`` are not read). A record holding spans of several traces, or a single span, is refused with a
pointer to the ``otel:`` source.

The ``otel:FILE`` source reads a file of such documents or spans (JSON Lines, concatenated or
pretty-printed JSON values, or one JSON array; gzip is detected) and groups the spans into one
record per trace id, ``{"trace_id": ..., "spans": [...]}``, in the order traces first appear,
located at the line of their first span. Spans without any ``gen_ai.*`` attribute are dropped
(they are not agent work); the kept spans are held in memory until the file is read, since a
trace's spans may be spread anywhere in an export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from steps_agents.plugins.traces.common import TraceExtractor

from steps_agents.errors import InputError
from steps_agents.fileformats import iter_text_lines

TOOL_NAME = "gen_ai.tool.name"
SCHEME = "otel:"
_SCALARS = ("stringValue", "intValue", "boolValue", "doubleValue", "bytesValue")


def any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` (``{"stringValue": "x"}``, arrays, key-value lists) as plain JSON."""
    if not isinstance(value, Mapping):
        return value
    for key in _SCALARS:
        if key in value:
            return value[key]
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return attributes({"attributes": (value["kvlistValue"] or {}).get("values") or []})
    return None


def attributes(span: Mapping[str, Any]) -> dict[str, Any]:
    """A span's attributes as a dict, from an OTLP ``[{key, value}]`` list or a flat dict."""
    raw = span.get("attributes")
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, list):
        return {
            str(kv["key"]): any_value(kv.get("value"))
            for kv in raw
            if isinstance(kv, Mapping) and "key" in kv
        }
    return {}


def trace_id(span: Mapping[str, Any]) -> str | None:
    context = span.get("context")
    tid = span.get("traceId") or span.get("trace_id")
    if tid is None and isinstance(context, Mapping):
        tid = context.get("trace_id")
    return str(tid) if tid not in (None, "") else None


def is_span(value: Any) -> bool:
    return isinstance(value, Mapping) and "attributes" in value and trace_id(value) is not None


def spans_of(document: Any) -> Iterator[Mapping[str, Any]]:
    """Every span of an OTLP document, a ``{"spans": [...]}`` object, a span, or a list of these."""
    if isinstance(document, list):
        for item in document:
            yield from spans_of(item)
        return
    if not isinstance(document, Mapping):
        return
    if isinstance(document.get("resourceSpans"), list):
        for resource in document["resourceSpans"]:
            if not isinstance(resource, Mapping):
                continue
            scopes = resource.get("scopeSpans") or resource.get("instrumentationLibrarySpans")
            for scope in scopes or []:
                if isinstance(scope, Mapping):
                    yield from (s for s in scope.get("spans") or [] if isinstance(s, Mapping))
    elif isinstance(document.get("spans"), list):
        yield from (s for s in document["spans"] if isinstance(s, Mapping))
    elif is_span(document):
        yield document


def _start(span: Mapping[str, Any]) -> int | str | None:
    nanos = span.get("startTimeUnixNano")
    if nanos is not None:
        try:
            return int(nanos)
        except (TypeError, ValueError):
            return None
    start = span.get("start_time")
    return start if isinstance(start, str) else None


def tool_calls(spans: Iterable[Mapping[str, Any]]) -> list[tuple[Any, str]]:
    """``(start, tool name)`` of the tool spans, in start order (document order if any start is
    missing or the starts mix numbers and timestamps)."""
    calls = []
    for span in spans:
        name = attributes(span).get(TOOL_NAME)
        if isinstance(name, str) and name:
            calls.append((_start(span), name))
    starts = [start for start, _ in calls]
    if all(isinstance(s, int) for s in starts):
        calls.sort(key=lambda call: cast(int, call[0]))
    elif all(isinstance(s, str) for s in starts):  # ISO timestamps of one format sort as text
        calls.sort(key=lambda call: cast(str, call[0]))
    return calls


class OTelExtractor(TraceExtractor):
    """Tool names of the ``gen_ai.tool.name`` spans of one trace."""

    name = "otel"
    auto_priority = 24
    expected = "an OTLP 'resourceSpans' document or {'spans': [...]} of one trace"

    @classmethod
    def shaped(cls, record: Mapping[str, Any]) -> bool:
        return (
            isinstance(record.get("resourceSpans"), list)
            or isinstance(record.get("spans"), list)
            or (is_span(record) and any(k.startswith("gen_ai.") for k in attributes(record)))
        )

    def tool_names(self, record: Mapping[str, Any]) -> list[str]:
        hint = f"read the file as {SCHEME}FILE, which groups spans into one record per trace id"
        if is_span(record):
            raise ValueError(f"a single span: a record is one trace; {hint}")
        spans = list(spans_of(record))
        traces = {trace_id(s) for s in spans if TOOL_NAME in attributes(s)}
        if len(traces) > 1:
            raise ValueError(f"spans of {len(traces)} traces in one record; {hint}")
        return [name for _, name in tool_calls(spans)]


# ---------------------------------------------------------------------------------------------
# The otel: source
# ---------------------------------------------------------------------------------------------


def _json_values(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line, value)`` for each JSON value of the file: JSON Lines, concatenated or
    pretty-printed values, or a single document."""
    text = "".join(line for _, line in iter_text_lines(path))
    decoder = json.JSONDecoder()
    pos, line = 0, 1
    while True:
        end = pos
        while end < len(text) and text[end] in " \t\r\n":
            end += 1
        line += text.count("\n", pos, end)
        if end >= len(text):
            return
        try:
            value, stop = decoder.raw_decode(text, end)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"invalid JSON ({exc.msg})",
                location=f"{path}:{text.count(chr(10), 0, exc.pos) + 1}",
            ) from None
        yield line, value
        line += text.count("\n", end, stop)
        pos = stop


def _flat(span: Mapping[str, Any], tid: str) -> dict[str, Any]:
    """A span in the flat form the extractor reads (attributes as a dict)."""
    flat: dict[str, Any] = {
        "traceId": tid,
        "name": span.get("name"),
        "attributes": attributes(span),
    }
    start = _start(span)
    if isinstance(start, int):
        flat["startTimeUnixNano"] = str(start)
    elif start is not None:
        flat["start_time"] = start
    return flat


def read_traces(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(location, {"trace_id", "spans"})`` for each trace of an OpenTelemetry JSON export."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such corpus file", location=path)
    if path.is_dir():
        raise InputError("is a directory, expected a file of OpenTelemetry spans", location=path)
    return _grouped(path)


def _grouped(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    traces: dict[str, tuple[int, list[dict[str, Any]]]] = {}
    for line, value in _json_values(path):
        for span in spans_of(value):
            tid = trace_id(span)
            if tid is None:
                raise InputError("a span without a trace id", location=f"{path}:{line}")
            flat = _flat(span, tid)
            if any(key.startswith("gen_ai.") for key in flat["attributes"]):
                traces.setdefault(tid, (line, []))[1].append(flat)
    for tid, (line, spans) in traces.items():
        yield f"{path}:{line}", {"trace_id": tid, "spans": spans}


def open_otel_source(source: str) -> Iterable[Any] | None:
    """The ``otel:FILE`` source (``None`` for any other source)."""
    if not source.startswith(SCHEME):
        return None
    return read_traces(source[len(SCHEME) :].removeprefix("//"))
