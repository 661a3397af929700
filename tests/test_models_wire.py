"""The --base-url path over real HTTP: ChatOpenAI against a local stub server (no network)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from openai_server import OpenAIStubServer
from pydantic import BaseModel

from steps_agents.errors import ModelOutputError
from steps_agents.models import ModelOptions, add_model_arguments, client_from_args, open_model

pytest.importorskip("langchain_openai")


class Skills(BaseModel):
    skills: list[str]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def rate_limited() -> tuple[int, dict[str, object], dict[str, str]]:
    return 429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"retry-after": "0"}


def server_error() -> tuple[int, dict[str, object], dict[str, str]]:
    return 500, {"error": {"message": "boom", "type": "server_error"}}, {}


def test_structured_answer_over_the_wire_with_retries_and_usage(tmp_path: Path) -> None:
    script = [rate_limited(), server_error(), '{"skills": ["sql querying"]}']
    with OpenAIStubServer(script) as server:
        client = open_model(
            "llama3.1:8b",
            ModelOptions(base_url=server.base_url, temperature=0.0, backoff=0.0),
            cache_path=tmp_path / "c.sqlite",
        )
        answer = client.invoke([("human", "Write a SQL query")], schema=Skills)
        again = client.invoke([("human", "Write a SQL query")], schema=Skills)
        client.close()
    assert answer == again == Skills(skills=["sql querying"])
    assert len(server.requests) == 3  # two retried failures, one answer, then a cache hit
    usage = client.usage
    assert (usage.calls, usage.retries, usage.cache_hits, usage.failures) == (3, 2, 1, 0)
    # the server's own usage block: 4 prompt words, 3 answer words, counted once
    assert (usage.input_tokens, usage.output_tokens) == (4, 3)
    body = server.requests[-1]["body"]
    assert body["model"] == "llama3.1:8b" and body["temperature"] == 0.0
    assert "response_format" in body or "tools" in body  # native structured output was used


def test_plain_answer_and_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUB_KEY", "sk-test-123")
    with OpenAIStubServer(["hello from the server"]) as server:
        parser = argparse.ArgumentParser()
        add_model_arguments(parser)
        args = parser.parse_args(
            ["--model", "stub-model", "--base-url", server.base_url, "--api-key-env", "STUB_KEY"]
        )
        with client_from_args(args, cache_path=None) as client:
            reply = client.invoke([("human", "hi")])
    assert reply.content == "hello from the server"
    headers = {k.lower(): v for k, v in server.requests[0]["headers"].items()}
    assert headers["authorization"] == "Bearer sk-test-123"


def test_malformed_json_over_the_wire_ends_in_model_output_error() -> None:
    with (
        OpenAIStubServer(["not json at all"]) as server,
        open_model(
            "stub", ModelOptions(base_url=server.base_url, max_retries=1, backoff=0.0)
        ) as client,
        pytest.raises(ModelOutputError, match="'stub'"),
    ):
        client.invoke([("human", "q")], schema=Skills)
    assert len(server.requests) == 2


def test_bad_request_is_not_retried() -> None:
    bad = (400, {"error": {"message": "bad", "type": "invalid_request_error"}}, {})
    with (
        OpenAIStubServer([bad]) as server,
        open_model("stub", ModelOptions(base_url=server.base_url, backoff=0.0)) as client,
    ):
        with pytest.raises(Exception) as info:
            client.invoke([("human", "q")])
        assert client.usage.failures == 1
    assert len(server.requests) == 1
    assert getattr(info.value, "status_code", None) == 400
