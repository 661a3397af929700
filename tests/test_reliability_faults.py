"""Every fault kind through the real langchain-openai client against the fault server.

One attempt is faulted, the retry is answered: each retryable kind ends with the right answer
(structured native, JSON mode and plain calls); a 401 stops at once in one line naming the key;
a reply that keeps being empty trips the circuit breaker long before the retries of every call
are spent.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from fault_server import TRANSIENT, FaultServer, use_local_server
from pydantic import BaseModel

from steps_agents.errors import ModelCallError, ModelOutputError
from steps_agents.models import ModelClient, ModelOptions, open_model
from steps_agents.models.retry import AUTH, EMPTY, FATAL, RETRY, TRUNCATED, classify
from steps_agents.models.structured import StructuredOutputInvalid, first_json_object

pytest.importorskip("langchain_openai")


class Skills(BaseModel):
    skills: list[str]


@pytest.fixture(autouse=True)
def _local(monkeypatch: pytest.MonkeyPatch) -> None:
    use_local_server(monkeypatch)


def _open(server: FaultServer, structured: str, **extra: object) -> ModelClient:
    options = ModelOptions.model_validate(
        {"base_url": server.base_url, "backoff": 0.0, "structured": structured, **extra}
    )
    return open_model("stub", options)


@pytest.mark.parametrize("kind", TRANSIENT)
@pytest.mark.parametrize("mode", ["native", "json", "plain"])
def test_each_transient_fault_is_retried_to_the_fault_free_answer(kind: str, mode: str) -> None:
    with FaultServer() as clean:
        client = _open(clean, "json" if mode == "plain" else mode)
        schema = None if mode == "plain" else Skills
        expected = client.invoke([("human", "write a sql query")], schema=schema)
        client.close()
    with FaultServer(rate=1.0, kinds=(kind,), max_faults_per_body=1, slow_delay=0.05) as server:
        client = _open(server, "json" if mode == "plain" else mode)
        got = client.invoke([("human", "write a sql query")], schema=schema)
        client.close()
    if schema is None and kind == "wrong_schema":  # no schema to get wrong: not faulted
        assert got.content == expected.content and len(server.log) == 1
        return
    if kind == "wrong_schema" and mode == "json":
        # the retry shows the model its mistake, so the prompt (and the fake's answer) differ
        # (rate 1.0: that new prompt is faulted once too)
        assert isinstance(got, Skills) and got.skills and len(server.log) == 3
        return
    if schema is None:
        assert got.content == expected.content
    else:
        assert got == expected
    assert [e["fault"] for e in server.log][0] == kind
    assert len(server.log) == (1 if kind == "slow" else 2)  # one faulted attempt, one retry


def test_401_stops_at_once_in_one_line_naming_the_key_without_unawaited_coroutines(
    tmp_path: Path,
) -> None:
    with FaultServer(rate=1.0, kinds=("401",), max_faults_per_body=9) as server:
        client = _open(server, "json")
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with pytest.raises(ModelCallError) as info:
                client.invoke([("human", "hi")])
        client.close()
    message = str(info.value)
    assert "\n" not in message and "HTTP 401" in message and "--api-key-env" in message
    assert info.value.kind == AUTH and not info.value.item_specific
    assert len(server.log) == 1  # no retry of a bad key


def test_a_model_that_always_answers_nothing_trips_the_breaker_quickly() -> None:
    with FaultServer(rate=1.0, kinds=("empty",), max_faults_per_body=99) as server:
        client = _open(server, "json", max_retries=50)
        with pytest.raises(ModelCallError) as info:
            client.invoke([("human", "hi")])
        client.close()
    message = str(info.value)
    assert info.value.kind == EMPTY and "answered nothing" in message
    assert "10 of the last 10 attempts failed" in message and "\n" not in message
    assert len(server.log) == 10  # the breaker's minimum, not 51 attempts


def test_truncated_structured_reply_after_the_retries_rejects_the_item() -> None:
    with FaultServer(rate=1.0, kinds=("truncated",), max_faults_per_body=99) as server:
        client = _open(server, "native", max_retries=2)
        with pytest.raises(ModelOutputError, match="truncated reply"):
            client.invoke([("human", "hi")], schema=Skills)
        client.close()


def test_classification_reads_http_200_on_parse_errors_as_a_bad_reply_not_a_refusal() -> None:
    import json

    import httpx

    response = httpx.Response(200, request=httpx.Request("POST", "http://x"))
    error = json.JSONDecodeError("Expecting value", "{", 1)
    error.response = response  # type: ignore[attr-defined]  # what langchain-openai does
    failure = classify(error)
    assert failure is not None and failure.verdict == RETRY and failure.kind == "malformed reply"

    class LengthFinishReasonError(Exception):
        pass

    truncated = LengthFinishReasonError()
    truncated.response = response  # type: ignore[attr-defined]
    failure = classify(truncated)
    assert failure is not None and (failure.kind, failure.verdict) == (TRUNCATED, RETRY)

    class NotFound(Exception):
        status_code = 404

    failure = classify(NotFound())
    assert failure is not None and failure.verdict == FATAL
    assert classify(KeyError("a bug")) is None


def test_wrong_schema_and_truncated_json_do_not_validate() -> None:
    from steps_agents.plugins.judges import CoverageAnswer

    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError
        CoverageAnswer.model_validate({"unexpected": 1})
    with pytest.raises(StructuredOutputInvalid):
        first_json_object('{"skills": [{"skill": "a", "exercised": true}, {"sk')
    assert first_json_object('Use {name} here: {"a": 1}') == {"a": 1}


def test_the_llm_extractor_sends_the_key_named_by_its_api_key_env_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from steps_agents.cli import main

    monkeypatch.setenv("MY_EXTRACTOR_KEY", "sk-mine")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(f'{{"instruction": "write sql query {i}"}}\n' for i in range(3)))
    with FaultServer() as server:
        code = main(
            [
                *("taxonomy", "build", str(corpus), "-o", str(tmp_path / "t.json")),
                *("--extractor", "llm", "--model", "stub"),
                *("--extractor-opt", f"base_url={server.base_url}"),
                *("--extractor-opt", "api_key_env=MY_EXTRACTOR_KEY"),
            ]
        )
    capsys.readouterr()
    assert code == 0 and len(server.log) == 3
    assert {entry["authorization"] for entry in server.log} == {"Bearer sk-mine"}
