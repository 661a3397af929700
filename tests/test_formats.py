"""Output formats: OpenAI messages (default), ShareGPT, Alpaca; provenance kept by all."""

from __future__ import annotations

from steps_agents.plugins.formats import render_alpaca, render_messages, render_sharegpt

from steps_agents.registry import available, get_output_format
from steps_agents.synthesis.records import Provenance, Sample

SAMPLE = Sample(
    id="abc",
    status="accepted",
    messages=(
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "a2"},
    ),
    provenance=Provenance(
        run_id="r",
        mode="instruct",
        skills=("a", "b"),
        k=2,
        gain=2.5,
        selector="steps",
        seed_examples=("c:1", "c:7"),
        model="fake",
        revisions=1,
    ),
)


def test_registered_by_name() -> None:
    assert {"messages", "sharegpt", "alpaca"} <= set(available("output format"))
    assert get_output_format("messages") is render_messages


def test_messages() -> None:
    record = render_messages(SAMPLE)
    assert record["id"] == "abc" and record["messages"][1] == {"role": "user", "content": "q1"}
    meta = record["metadata"]
    assert meta["skills"] == ["a", "b"] and meta["k"] == 2 and meta["gain"] == 2.5
    assert meta["seed_examples"] == ["c:1", "c:7"] and meta["revisions"] == 1


def test_sharegpt() -> None:
    record = render_sharegpt(SAMPLE)
    assert [t["from"] for t in record["conversations"]] == [
        "system",
        "human",
        "gpt",
        "human",
        "gpt",
    ]
    assert record["conversations"][-1]["value"] == "a2"
    assert record["metadata"]["run_id"] == "r"


def test_alpaca_keeps_the_last_exchange_and_earlier_turns_as_history() -> None:
    record = render_alpaca(SAMPLE)
    assert record["instruction"] == "q2" and record["output"] == "a2" and record["input"] == ""
    assert record["history"] == [["q1", "a1"]] and record["system"] == "Be brief."
    assert record["metadata"]["model"] == "fake"
