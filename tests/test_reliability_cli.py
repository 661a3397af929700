"""What ``steps synth`` and the ``llm`` extractor tell a user when a run goes wrong (issue 11,
item 7): the key variable is checked before the run header; a failed run names its run id (also
with ``--json``) and the ``--run-id`` to resume with; over-long "skill names" are dropped with
one counted warning line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fault_server import FaultServer, use_local_server
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from steps_agents.plugins.llm_extractor import LLMExtractor

from steps_agents.cli import main
from steps_agents.corpus.extract import ExtractorOptions
from steps_agents.selection.synthetic import random_taxonomy

pytest.importorskip("langchain_openai")

LONG = "the ability to " + "carefully " * 30 + "reason"  # a sentence, not a skill


class LongNameModel(BaseChatModel):
    """Answers two skills, one of them a 300-character sentence."""

    @property
    def _llm_type(self) -> str:
        return "long-name-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        answer = json.dumps({"skills": ["sql querying", LONG]})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])


def make_long_name_model() -> LongNameModel:
    return LongNameModel()


@pytest.fixture
def taxonomy(tmp_path: Path) -> Path:
    path = tmp_path / "tax.json"
    random_taxonomy(20, height=2, seed=1).save(path)
    return path


def _synth(tmp_path: Path, taxonomy: Path, url: str, *extra: str) -> list[str]:
    return [
        *("synth", "--taxonomy", str(taxonomy), "-o", str(tmp_path / "out.jsonl"), "-n", "3"),
        *("--model", "stub", "--base-url", url, "--judges", "format", *extra),
    ]


def test_an_unset_key_variable_is_one_line_before_any_run_header(
    tmp_path: Path,
    taxonomy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_local_server(monkeypatch)
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with FaultServer() as server:
        code = main(_synth(tmp_path, taxonomy, server.base_url, "--api-key-env", "NO_SUCH_KEY_VAR"))
    err = capsys.readouterr().err
    assert code == 2 and not server.log
    assert err.strip().splitlines() == [
        "error: api_key_env: environment variable NO_SUCH_KEY_VAR is not set or empty"
    ]


@pytest.mark.parametrize("named", [False, True])
def test_a_failed_run_names_its_run_id_and_how_to_resume(
    tmp_path: Path,
    taxonomy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    named: bool,
) -> None:
    use_local_server(monkeypatch)
    extra = ("--json", "--max-retries", "0", *(("--run-id", "mine") if named else ()))
    with FaultServer(rate=1.0, kinds=("500",), max_faults_per_body=99) as server:
        code = main(_synth(tmp_path, taxonomy, server.base_url, *extra))
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    run_id = report["run_id"]
    assert code == 1 and report["exit_code"] == 1 and "HTTP 500" in report["error"]
    assert (run_id == "mine") is named
    last = captured.err.strip().splitlines()[-1]
    if named:
        assert last == "run mine stopped; rerun the same command (--run-id mine) to resume"
    else:
        assert last == f"run {run_id} stopped; rerun with --run-id {run_id} to resume"


def test_the_llm_extractor_drops_overlong_skill_names_with_one_counted_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ExtractorOptions(
        model="test_reliability_cli:make_long_name_model",
        cache_path=tmp_path / "cache.sqlite",
        extra={"max_retries": 0, "backoff": 0.0},
    )
    extractor = LLMExtractor(options)
    records = [{"instruction": f"write query {i}"} for i in range(3)]
    assert extractor.extract_batch(records) == [["sql querying"]] * 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and extractor.dropped_long == 3
    assert lines[0].startswith("warning: llm extractor: dropped 3 skill name(s) over 80 characters")
    kept = LLMExtractor(options.model_copy(update={"extra": {"max_skill_chars": 400}}))
    assert kept.extract_batch(records[:1]) == [["sql querying", LONG]]
    assert not capsys.readouterr().err
    extractor.close()
    kept.close()
