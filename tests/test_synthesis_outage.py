"""A model that fails mid-run: answered work is kept, the run stops in one line, a rerun resumes.

A :class:`~steps_agents.errors.ModelCallError` that is not about one item (an outage after the
retries) must not make LangGraph drop the superstep it happened in: every draft answered before
it is judged and written, then the run raises it. One that is about one item (HTTP 400) rejects
that item under ``"model call"`` (or, from a model judge, makes the judge abstain).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers_synthesis import OutageError, SynthFakeModel, read_calls, read_jsonl
from langchain_core.messages import BaseMessage
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.cli import main
from steps_agents.errors import ModelCallError
from steps_agents.models import ModelClient, ModelOptions
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.config import SynthConfig


@pytest.fixture(scope="module")
def taxonomy() -> Any:
    return random_taxonomy(24, height=2, seed=3)


def test_an_outage_keeps_every_answered_draft_exits_1_in_one_line_and_a_rerun_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tax = tmp_path / "tax.json"
    random_taxonomy(24, height=2, seed=2).save(tax)
    out = tmp_path / "s.jsonl"
    counter = tmp_path / "calls.txt"
    monkeypatch.setenv("STEPS_FAKE_OK_CALLS", "13")
    monkeypatch.setenv("STEPS_FAKE_COUNTER", str(counter))
    monkeypatch.setenv("STEPS_FAKE_LATENCY", "0")
    base = ["synth", "--taxonomy", str(tax), "-o", str(out), "-n", "30", "--k", "2-3"]
    base += ["--judges", "format,language", "--max-retries", "0", "--run-id", "r1"]
    code = main([*base, "--model", "helpers_synthesis:outage_model", "--concurrency", "4"])
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error: ")]
    assert code == 1 and len(errors) == 1, err
    assert all(line.startswith(("error: ", "run ")) for line in err), err
    assert "'helpers_synthesis:outage_model'" in errors[0] and "HTTP 500" in errors[0]
    answered = read_calls(counter)
    kept = read_jsonl(out)
    # Every draft the model answered before the outage passed the judges, so it is on disk
    # (before the fix: 16 answered, 8 written).
    assert len(answered) == 13 and len(kept) == 13
    assert len({row["id"] for row in kept}) == 13
    assert not (tmp_path / "s.rejects.jsonl").exists() or not read_jsonl(
        tmp_path / "s.rejects.jsonl"
    )
    before = out.read_bytes()

    code = main([*base, "--model", "helpers_synthesis:slow_model", "--json"])
    capsys.readouterr()
    rows = read_jsonl(out)
    assert code == 0 and len(rows) == 30 and len({row["id"] for row in rows}) == 30
    assert out.read_bytes().startswith(before)


class RefusesSome(SynthFakeModel):
    """Refuses (HTTP 400) every prompt naming one of ``refused`` skills; answers the rest."""

    refused: list[str] = []

    def _answer(self, messages: list[BaseMessage]) -> str:
        text = "\n".join(str(m.content) for m in messages)
        if any(f". {skill}\n" in text + "\n" for skill in self.refused):
            raise OutageError(400)
        return super()._answer(messages)


def _client(tmp_path: Path, model: SynthFakeModel) -> ModelClient:
    return ModelClient.from_model(
        model,
        options=ModelOptions(max_retries=0, backoff=0.0),
        spec="fake",
        cache_path=tmp_path / "c.sqlite",
    )


def _config(tmp_path: Path, **values: Any) -> SynthConfig:
    base: dict[str, Any] = {
        "n": 8,
        "k": (2, 3),
        "output": tmp_path / "out.jsonl",
        "run_id": "r",
        "judges": ["format", "language"],
    }
    return SynthConfig.model_validate(base | values)


def test_a_refused_request_rejects_that_item_and_the_run_goes_on(
    tmp_path: Path, taxonomy: Any
) -> None:
    refused = list(taxonomy.skills[:5])
    model = RefusesSome(refused=refused)
    report = run_synthesis(
        _config(tmp_path), model=_client(tmp_path, model), taxonomy=taxonomy, progress=False
    )
    assert report.accepted == 8 and report.stop_reason == "target reached"
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    assert rejects and report.rejection_reasons["model call"] == len(rejects)
    for row in rejects:
        assert row["reason_tag"] == "model call" and "HTTP 400" in row["reason"]
        assert set(row["metadata"]["skills"]) & set(refused)


class JudgeTrouble(SynthFakeModel):
    """Writes drafts; answers the rubric judge with ``OutageError(status)``."""

    status: int = 400

    def _answer(self, messages: list[BaseMessage]) -> str:
        if "RubricAnswer" in "\n".join(str(m.content) for m in messages):
            raise OutageError(self.status)
        return super()._answer(messages)


def test_a_model_judge_abstains_on_a_refusal_and_stops_the_run_on_an_outage(
    tmp_path: Path, taxonomy: Any
) -> None:
    judges = ["format", "rubric"]
    report = run_synthesis(
        _config(tmp_path, judges=judges, n=4),
        model=_client(tmp_path, JudgeTrouble(status=400)),
        taxonomy=taxonomy,
        progress=False,
    )
    assert report.accepted == 4
    for row in read_jsonl(tmp_path / "out.jsonl"):
        rubric = [v for v in row["metadata"]["verdicts"] if v["judge"] == "rubric"]
        assert rubric[0]["passed"] is None and "model call refused" in rubric[0]["reason"]

    down = tmp_path / "down"
    with pytest.raises(ModelCallError) as info:
        run_synthesis(
            _config(down, judges=judges, n=4),
            model=_client(down, JudgeTrouble(status=503)),
            taxonomy=taxonomy,
            progress=False,
        )
    assert not info.value.item_specific and info.value.status_code == 503
    assert read_jsonl(down / "out.jsonl") == []  # nothing was judged, so nothing accepted


def test_after_an_outage_the_calls_still_queued_are_not_sent(tmp_path: Path, taxonomy: Any) -> None:
    from helpers_synthesis import OutageModel

    model = OutageModel(ok_calls=5, latency=0.01)
    client = ModelClient.from_model(
        model,
        options=ModelOptions(concurrency=2, max_retries=2, backoff=0.0),
        spec="fake",
        cache_path=tmp_path / "c.sqlite",
    )
    with pytest.raises(ModelCallError, match="failed after 3 attempts"):
        run_synthesis(_config(tmp_path, n=40), model=client, taxonomy=taxonomy, progress=False)
    # Dozens of drafts were queued (five waves of 8); only the calls holding one of the 2 slots
    # when the service went down tried it (3 attempts each), the rest were never sent.
    assert model._calls <= 5 + 2 * 3
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 5
