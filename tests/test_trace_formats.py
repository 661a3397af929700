"""Trace formats as skill sources: each format's published shape, auto-detection, one corpus in
every format giving one taxonomy with its tool names intact."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest
from helpers_traces import CONVERTERS, calls_of, console_span, otel_spans, rename
from steps_agents.plugins.toolworld import CORPUS_PATH

from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
from steps_agents.corpus.extract import ExtractionStats, iter_skill_sets
from steps_agents.errors import InputError
from steps_agents.taxonomy.builder import build_taxonomy


def write(tmp_path: Path, records: list[Any], name: str = "c.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def skills(source: str, extractor: str = "auto") -> list[list[str]]:
    return [names for _, _, names in iter_skill_sets(source, extractor)]


def used(source: str) -> dict[str, int]:
    stats = ExtractionStats()
    for _ in iter_skill_sets(source, "auto", stats=stats):
        pass
    return stats.by_extractor


# -- each format, records written to its spec ------------------------------------------------


def test_anthropic_messages_tool_use_blocks(tmp_path: Path) -> None:
    conversation = {
        "model": "claude-sonnet-4-5",
        "messages": [
            {"role": "user", "content": "What is the weather in Paris, and book me a table?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {
                        "type": "tool_use",
                        "id": "toolu_01",
                        "name": "getWeather",
                        "input": {"city": "Paris"},
                    },
                    {"type": "tool_use", "id": "toolu_02", "name": "bookTable", "input": {"n": 2}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"},
                    {"type": "tool_result", "tool_use_id": "toolu_02", "content": "ok"},
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "18C; booked."}]},
        ],
    }
    response = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "tool_use", "id": "toolu_03", "name": "get_stock_price", "input": {}}],
        "stop_reason": "tool_use",
    }
    source = write(tmp_path, [conversation, response])
    assert skills(source) == [["getWeather", "bookTable"], ["get_stock_price"]]
    assert used(source) == {"anthropic": 2}


def test_sharegpt_hermes_tool_calls_and_function_call_turns(tmp_path: Path) -> None:
    hermes = {
        "conversations": [
            {"from": "system", "value": "You are a function calling AI model. <tools>[]</tools>"},
            {"from": "human", "value": "Fetch the price and the fundamentals of TSLA."},
            {
                "from": "gpt",
                "value": "<tool_call>\n{'arguments': {'symbol': 'TSLA'}, 'name': 'get_current_stock_price'}\n</tool_call>\n"
                '<tool_call>\n{"arguments": {"symbol": "TSLA"}, "name": "getStockFundamentals"}\n</tool_call>',
            },
            {
                "from": "tool",
                "value": '<tool_response>\n{"name": "get_current_stock_price", "content": 191.97}\n</tool_response>',
            },
            {"from": "gpt", "value": "TSLA trades at 191.97."},
        ]
    }
    llama_factory = {
        "conversations": [
            {"from": "human", "value": "Weather in Jinan?"},
            {
                "from": "function_call",
                "value": '{"name": "get_weather", "arguments": {"location": "Jinan"}}',
            },
            {"from": "observation", "value": '{"temperature": 20}'},
            {
                "from": "function_call",
                "value": [{"name": "a", "arguments": {}}, {"name": "B", "arguments": {}}],
            },
            {"from": "observation", "value": "ok"},
            {"from": "gpt", "value": "20 degrees."},
        ],
        "tools": '[{"name": "get_weather"}]',
    }
    source = write(tmp_path, [hermes, llama_factory])
    assert skills(source) == [
        ["get_current_stock_price", "getStockFundamentals"],
        ["get_weather", "a", "B"],
    ]
    assert used(source) == {"sharegpt": 2}
    broken = {"conversations": [{"from": "gpt", "value": "<tool_call>\n{name: oops\n</tool_call>"}]}
    with pytest.raises(InputError, match=r"b\.jsonl:1: conversations\[0\] <tool_call> 1: not JSON"):
        skills(write(tmp_path, [broken], "b.jsonl"))


def test_xlam_answers_as_json_text_or_list(tmp_path: Path) -> None:
    published = {
        "id": 0,
        "query": "Where can I find live giveaways for beta access and games?",
        "answers": '[{"name": "live_giveaways_by_type", "arguments": {"type": "beta"}}, '
        '{"name": "live_giveaways_by_type", "arguments": {"type": "game"}}]',
        "tools": '[{"name": "live_giveaways_by_type", "description": "Retrieve live giveaways.",'
        ' "parameters": {"type": {"description": "The type.", "type": "str", "default": "game"}}}]',
    }
    loaded = {
        "id": 1,
        "query": "Convert 5 km.",
        "tools": [],
        "answers": [{"name": "convertUnits", "arguments": {}}],
    }
    source = write(tmp_path, [published, loaded])
    # One skill per distinct tool: the second call of the same tool is the same skill.
    assert skills(source) == [["live_giveaways_by_type"], ["convertUnits"]]
    assert used(source) == {"xlam": 2}
    bad = write(tmp_path, [{"query": "q", "answers": '[{"arguments": {}}]'}], "bad.jsonl")
    with pytest.raises(
        InputError, match=r"bad\.jsonl:1: answers\[0\]: a tool call without a 'name'"
    ):
        skills(bad)


def test_mcp_session_logs(tmp_path: Path) -> None:
    session = CONVERTERS["mcp"](
        0, "x", [("get_weather", {"city": "Oslo"}, "5C"), ("sendMail", {}, "ok")]
    )
    batched = {
        "messages": [
            [
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "tools/call",
                    "params": {"name": "a_b", "arguments": {}},
                },
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "tools/call",
                    "params": {"name": "cD", "arguments": {}},
                },
            ],
            [{"jsonrpc": "2.0", "id": 1, "result": {"content": []}}],
        ]
    }
    source = write(tmp_path, [session, batched])
    assert skills(source) == [["get_weather", "sendMail"], ["a_b", "cD"]]
    assert used(source) == {"mcp": 2}
    line = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "x"}}
    with pytest.raises(
        InputError, match=r"one\.jsonl:1: a single JSON-RPC message: a record is one session"
    ):
        skills(write(tmp_path, [line], "one.jsonl"))


def test_otel_otlp_documents_order_tool_spans_by_start_time(tmp_path: Path) -> None:
    calls = [("fillFuelTank", {}, ""), ("getUserById", {}, ""), ("fillFuelTank", {}, "")]
    document = CONVERTERS["otel"](0, "", calls)  # tool spans written in reverse order
    source = write(tmp_path, [document])
    assert skills(source) == [["fillFuelTank", "getUserById"]]
    assert used(source) == {"otel": 1}
    two = {
        "resourceSpans": [
            *document["resourceSpans"],
            *CONVERTERS["otel"](1, "", calls)["resourceSpans"],
        ]
    }
    with pytest.raises(
        InputError, match=r"m\.jsonl:1: spans of 2 traces in one record; read the file as otel:FILE"
    ):
        skills(write(tmp_path, [two], "m.jsonl"))


def test_otel_source_groups_flat_spans_by_trace_id(tmp_path: Path) -> None:
    runs = [
        [("a_tool", {}, ""), ("bTool", {}, "")],
        [("cTool", {}, "")],
        [("bTool", {}, ""), ("a_tool", {}, "")],
    ]
    spans = [console_span(s) for i, calls in enumerate(runs) for s in otel_spans(i, calls)]
    random.Random(0).shuffle(spans)  # an exporter writes spans as they end, traces interleaved
    spans.append(
        {
            "name": "GET /health",
            "context": {"trace_id": "0xff", "span_id": "0x1"},
            "attributes": {"http.method": "GET"},
        }
    )
    pretty = (
        tmp_path / "spans.json"
    )  # ConsoleSpanExporter: pretty-printed objects, one after another
    pretty.write_text("".join(json.dumps(s, indent=4) + "\n" for s in spans), encoding="utf-8")
    got = {tuple(names) for names in skills(f"otel:{pretty}")}
    assert got == {
        ("a_tool", "bTool"),
        ("cTool",),
        ("bTool", "a_tool"),
    }  # the http trace is dropped
    # A flat span per line read without the source is one span, not a trace: refused with the way out.
    lines = write(tmp_path, spans[:1], "flat.jsonl")
    with pytest.raises(
        InputError, match="a single span: a record is one trace; read the file as otel:FILE"
    ):
        skills(lines)
    with pytest.raises(InputError, match="no such corpus file"):
        skills(f"otel:{tmp_path / 'missing.json'}")


def test_otel_source_reads_gzipped_otlp_lines(tmp_path: Path) -> None:
    runs = [[("x1", {}, "")], [("y2", {}, ""), ("x1", {}, "")]]
    # The collector's file exporter: one export request per line, a trace split across lines.
    lines = [
        {
            "resourceSpans": [
                {"scopeSpans": [{"spans": otel_spans(0, runs[0]) + otel_spans(1, runs[1])[:2]}]}
            ]
        },
        {"resourceSpans": [{"scopeSpans": [{"spans": otel_spans(1, runs[1])[2:]}]}]},
    ]
    path = tmp_path / "traces.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()))
    located = [(loc, names) for loc, _, names in iter_skill_sets(f"otel:{path}")]
    assert located == [(f"{path}:1", ["x1"]), (f"{path}:1", ["y2", "x1"])]


# -- one corpus, every format ----------------------------------------------------------------


def _taxonomy_without_source(source: str, extractor: str) -> tuple[dict[str, Any], Any]:
    counts = count_corpus(source, extractor)
    graph = build_skill_graph(counts, weighting="steps", source="corpus")
    taxonomy = build_taxonomy(graph, height=3, seed=0).to_dict()
    for key in ("versions", "created", "params"):
        taxonomy.pop(key, None)
    return taxonomy, counts


def test_one_corpus_in_every_format_gives_one_taxonomy_with_tool_names_intact(
    tmp_path: Path,
) -> None:
    with gzip.open(CORPUS_PATH, "rt", encoding="utf-8") as fh:
        originals = [json.loads(line) for _, line in zip(range(400), fh, strict=False)]
    runs = [calls_of(record) for record in originals]
    expected = {tuple(dict.fromkeys(name for name, _, _ in calls)) for _, calls in runs}
    results = {}
    for fmt, convert in CONVERTERS.items():
        source = write(
            tmp_path,
            [convert(i, text, calls) for i, (text, calls) in enumerate(runs)],
            f"{fmt}.jsonl",
        )
        assert used(source) == {fmt: len(runs)}, fmt  # auto picks the format from the shape
        assert {tuple(names) for names in skills(source, fmt)} == expected, fmt
        results[fmt] = _taxonomy_without_source(source, "auto")
    flat = tmp_path / "spans.json"
    flat.write_text(
        "".join(
            json.dumps(console_span(s)) + "\n"
            for i, (_, calls) in enumerate(runs)
            for s in otel_spans(i, calls)
        ),
        encoding="utf-8",
    )
    results["otel source"] = _taxonomy_without_source(f"otel:{flat}", "auto")
    reference, counts = results.pop("tool_calls")
    assert "inboxRead" in counts.skills and not any("_" in s for s in counts.skills)
    assert all(rename(s) == s for s in counts.skills)
    for fmt, (taxonomy, other) in results.items():
        assert other.skills == counts.skills and other.sets == counts.sets, fmt
        assert taxonomy == reference, fmt


def test_auto_picks_the_format_of_each_record_in_a_mixed_corpus(tmp_path: Path) -> None:
    calls = [("lookUp", {}, "x"), ("write_note", {}, "ok")]
    records = [convert(i, "Do it.", calls) for i, convert in enumerate(CONVERTERS.values())]
    records.append({"skills": ["Hand Tag"]})
    source = write(tmp_path, records)
    assert skills(source) == [["lookUp", "write_note"]] * len(CONVERTERS) + [["Hand Tag"]]
    assert used(source) == {**dict.fromkeys(CONVERTERS, 1), "tags": 1}
