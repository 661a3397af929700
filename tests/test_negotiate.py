"""Structured-output negotiation against local stub servers that each accept one form (issue 17).

Each server emulates one family: ``json_schema`` accepted (OpenAI, vLLM); only ``json_object``
with a schema (llama-cpp-python: HTTP 500 naming ``response_format``); neither ``response_format``
nor ``tools`` (HTTP 400 naming the parameter). The table in docs/servers.md is these tests' rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openai_server import OpenAIStubServer
from pydantic import BaseModel

from steps_agents.models import ModelOptions, open_model
from steps_agents.models.negotiate import FORMS_FILE, refused_parameter

pytest.importorskip("langchain_openai")

ANSWER = '{"skills": ["sql querying"]}'
LLAMA_CPP_500 = (
    500,
    {
        "error": {
            "message": "1 validation error: response_format.type: Input should be 'text'"
            " or 'json_object'"
        }
    },
    {},
)


class Skills(BaseModel):
    skills: list[str]


class FormServer(OpenAIStubServer):
    """Answers ``ANSWER`` in the forms it accepts and refuses the others the way ``family`` does."""

    def __init__(self, family: str) -> None:
        super().__init__([ANSWER])
        self.family = family

    def _next(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        kind = (body.get("response_format") or {}).get("type")
        if self.family != "json_schema" and kind == "json_schema":
            self.requests.append({"path": path, "body": body, "headers": headers})
            return LLAMA_CPP_500 if self.family == "json_object" else _refusal("response_format")
        if self.family == "neither" and (kind or "tools" in body):
            self.requests.append({"path": path, "body": body, "headers": headers})
            return _refusal("response_format" if kind else "tools")
        return super()._next(path, body, headers)


def _refusal(parameter: str) -> tuple[int, Any, dict[str, str]]:
    return 400, {"error": {"message": f"unsupported parameter: {parameter}"}}, {}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.mark.parametrize(
    ("family", "chosen", "refused"),
    [
        ("json_schema", "json_schema", 0),
        ("json_object", "json_object", 1),
        ("neither", "prompt", 3),
    ],
)
def test_the_client_finds_the_strongest_form_and_keeps_it(
    tmp_path: Path, family: str, chosen: str, refused: int
) -> None:
    options = ModelOptions(base_url="", backoff=0.0, max_retries=0)
    with FormServer(family) as server:
        options = options.model_copy(update={"base_url": server.base_url})
        with open_model("smol", options, cache_path=tmp_path / "c.sqlite") as client:
            first = client.invoke([("human", "one")], schema=Skills)
            second = client.invoke([("human", "two")], schema=Skills)
        assert first == second == Skills(skills=["sql querying"])
        assert len(server.requests) == refused + 2  # probes once, then one request per answer
        assert client.negotiator.probes == refused
        last = server.requests[-1]["body"]
        kinds = {"json_schema": "json_schema", "json_object": "json_object", "prompt": None}
        assert (last.get("response_format") or {}).get("type") == kinds[chosen]
        # a resumed run reads the choice kept beside the cache and sends no probe
        assert (tmp_path / FORMS_FILE).is_file() == (refused > 0)
        with open_model("smol", options, cache_path=tmp_path / "c.sqlite") as resumed:
            before = len(server.requests)
            resumed.invoke([("human", "three")], schema=Skills)
        assert len(server.requests) == before + 1


class _Refusal(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__("refused")
        self.status_code, self.body = status, body


def test_refused_parameter_reads_400_422_and_the_llama_cpp_500() -> None:
    assert refused_parameter(_Refusal(500, LLAMA_CPP_500[1])) == "response_format"
    assert refused_parameter(_Refusal(422, {"detail": "tool_choice is not supported"})) == (
        "tool_choice"
    )
    assert refused_parameter(_Refusal(500, {"error": "out of memory"})) is None
    assert refused_parameter(_Refusal(429, {"error": "response_format busy"})) is None


def test_synth_corpus_accepts_a_world_name_for_its_bundled_corpus(tmp_path: Path) -> None:
    from steps_agents.cli.synth import world_corpus

    bundled = world_corpus("toolworld")
    assert bundled is not None and bundled != "toolworld" and Path(bundled).is_file()
    assert world_corpus(str(tmp_path / "missing.jsonl")) == str(tmp_path / "missing.jsonl")
