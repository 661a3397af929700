"""``fake:echo``: deterministic, offline, schema-valid; and the shared CLI model flags."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from steps_agents.errors import InputError
from steps_agents.models import add_model_arguments, client_from_args, open_model
from steps_agents.models.offline import OfflineEchoModel, fill_schema


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=5, max_length=80)


class Sample(BaseModel):
    title: str
    turns: list[Turn] = Field(min_length=2, max_length=4)
    score: int = Field(ge=1, le=10)
    confidence: float = Field(gt=0, lt=1)
    tags: list[str] | None = None
    done: bool
    nested: dict[str, int] = Field(default_factory=dict)


def test_plain_calls_echo_the_last_human_message_with_word_counts() -> None:
    reply = OfflineEchoModel().invoke([("system", "be nice"), ("human", "repeat after me")])
    assert reply.content == "repeat after me"
    assert reply.usage_metadata is not None
    assert (reply.usage_metadata["input_tokens"], reply.usage_metadata["output_tokens"]) == (5, 3)


@settings(max_examples=40, deadline=None)
@given(prompt=st.text(min_size=0, max_size=200))
def test_structured_answers_are_valid_and_deterministic(prompt: str) -> None:
    structured = OfflineEchoModel().with_structured_output(Sample)
    first = structured.invoke([("human", prompt or " ")])
    assert isinstance(first, Sample)
    assert first == structured.invoke([("human", prompt or " ")])
    # Literal values cycle along a list, so a conversation alternates speakers.
    assert [t.role for t in first.turns] == ["user", "assistant"]


def test_different_prompts_get_different_answers() -> None:
    structured = OfflineEchoModel().with_structured_output(Sample)
    answers = {structured.invoke(f"task number {i} about sql").model_dump_json() for i in range(10)}
    assert len(answers) == 10


def test_include_raw_reports_the_json_text_and_usage() -> None:
    out = OfflineEchoModel().with_structured_output(Sample, include_raw=True).invoke("write one")
    assert out["parsing_error"] is None and isinstance(out["parsed"], Sample)
    assert Sample.model_validate_json(out["raw"].content) == out["parsed"]
    assert out["raw"].usage_metadata["output_tokens"] > 0


def test_fill_schema_handles_refs_and_strings_from_the_prompt() -> None:
    value = fill_schema(Sample.model_json_schema(), "alpha beta gamma delta")
    assert set(value["title"].split()) <= {"alpha", "beta", "gamma", "delta"}


def test_open_model_fake_echo_through_the_client(tmp_path: Path) -> None:
    with open_model("fake:echo", cache_path=tmp_path / "c.sqlite") as client:
        a = client.invoke([("human", "make a sample")], schema=Sample)
        b = client.invoke([("human", "make a sample")], schema=Sample)
        assert a == b and client.usage.calls == 1 and client.usage.cache_hits == 1


# --- CLI flags -------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_model_arguments(parser)
    return parser.parse_args(argv)


def test_flags_build_a_client(tmp_path: Path) -> None:
    args = parse(
        ["--model", "fake:echo", "--temperature", "0.7", "--concurrency", "3", "--max-retries", "1"]
    )
    client = client_from_args(args, cache_path=tmp_path / "c.sqlite")
    assert (client.options.concurrency, client.options.max_retries, client.options.timeout) == (
        3,
        1,
        120.0,
    )
    assert client.key_params == {"temperature": 0.7} and client.cache is not None
    client.close()
    no_cache = client_from_args(
        parse(["--model", "fake:echo", "--no-cache"]), cache_path=tmp_path / "c.sqlite"
    )
    assert no_cache.cache is None
    no_cache.close()


def test_api_keys_come_from_the_environment_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse(["--model", "fake:echo", "--api-key", "sk-secret"])
    err = capsys.readouterr().err
    assert "never taken on the command line" in err and "sk-secret" not in err
    with pytest.raises(InputError) as pasted:
        client_from_args(
            parse(["--model", "fake:echo", "--api-key-env", "sk-se-cret"]), cache_path=None
        )
    assert "sk-se-cret" not in str(pasted.value)
    monkeypatch.delenv("H4A_TEST_KEY", raising=False)
    args = parse(["--model", "fake:echo", "--api-key-env", "H4A_TEST_KEY"])
    with pytest.raises(InputError, match="H4A_TEST_KEY is not set"):
        client_from_args(args, cache_path=None)
    monkeypatch.setenv("H4A_TEST_KEY", "sk-from-env")
    client_from_args(args, cache_path=None).close()


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        ([], "--model"),
        (["--model", "fake:echo", "--concurrency", "0"], "--concurrency"),
        (["--model", "fake:echo", "--max-retries", "-1"], "--max-retries"),
        (["--model", "fake:echo", "--timeout", "0"], "--timeout"),
    ],
)
def test_bad_flags_are_input_errors(argv: list[str], where: str) -> None:
    with pytest.raises(InputError) as info:
        client_from_args(parse(argv), cache_path=None)
    assert str(info.value).startswith(where)


def test_words_come_from_the_task_not_the_instructions() -> None:
    structured = OfflineEchoModel().with_structured_output(Sample)
    answer = structured.invoke([("system", "SYSTEMWORD " * 50), ("human", "alpha beta gamma")])
    assert "SYSTEMWORD" not in answer.model_dump_json()
    other = structured.invoke([("system", "different rules"), ("human", "alpha beta gamma")])
    assert other != answer  # the whole prompt still seeds the choices
