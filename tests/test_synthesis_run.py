"""End-to-end synthesis runs with a fake chat model (no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers_synthesis import SynthFakeModel, read_jsonl
from steps_agents.graphs.synthesis import run_synthesis

import steps_agents
from steps_agents.errors import InputError, UnknownComponentError
from steps_agents.models import ModelClient, ModelOptions
from steps_agents.records import Verdict
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.config import SynthConfig


@pytest.fixture(scope="module")
def taxonomy() -> Any:
    return random_taxonomy(24, height=2, seed=3)


def client(tmp_path: Path, **fake: Any) -> ModelClient:
    return ModelClient.from_model(
        SynthFakeModel(**fake),
        options=ModelOptions(concurrency=8, max_retries=1, backoff=0.0),
        spec="fake-synth",
        cache_path=tmp_path / "cache.sqlite",
    )


def config(tmp_path: Path, **values: Any) -> SynthConfig:
    base: dict[str, Any] = {
        "n": 10,
        "k": (2, 4),
        "output": tmp_path / "out.jsonl",
        "run_id": "run-a",
        "judges": ["format", "language", "coverage", "dedup"],
    }
    return SynthConfig.model_validate(base | values)


def test_instruct_mode_produces_exactly_n_accepted_samples_with_provenance(
    tmp_path: Path, taxonomy: Any
) -> None:
    model = client(tmp_path)
    report = run_synthesis(
        config(tmp_path, judges=["format", "language", "coverage", "dedup", "rubric"]),
        model=model,
        taxonomy=taxonomy,
        progress=False,
    )
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert report.accepted == len(rows) == 10
    assert report.stop_reason == "target reached"
    assert len({r["id"] for r in rows}) == 10
    assert len({frozenset(r["metadata"]["skills"]) for r in rows}) == 10
    for row in rows:
        meta = row["metadata"]
        assert meta["run_id"] == "run-a" and meta["mode"] == "instruct"
        assert 2 <= meta["k"] == len(meta["skills"]) <= 4
        assert meta["selector"] == "steps" and meta["gain"] > 0
        assert meta["taxonomy_paths"] and meta["model"] == "fake-synth"
        assert {v["judge"] for v in meta["verdicts"]} == {
            "instruct",
            "format",
            "language",
            "coverage",
            "dedup",
            "rubric",
        }
        assert all(v["passed"] for v in meta["verdicts"])
        assert meta["versions"]["steps-agents"] == steps_agents.__version__
        assert meta["seed_skill"] in meta["skills"]
        assert len(meta["versions"]["taxonomy_sha1"]) == 12
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
    # The report's counts agree with the files and the client's accounting.
    assert sum(c.get("accepted", 0) for c in report.by_k.values()) == 10
    assert report.usage["calls"] == len(model.model.prompts)  # type: ignore[attr-defined]


class PickyJudge:
    """Fails every draft with a fixed reason; counts how often it was asked."""

    name = "picky"

    def __init__(self, options: Any = None) -> None:
        self.calls = 0

    async def judge(self, sample: Any, ctx: Any) -> Verdict:
        return Verdict(judge=self.name, passed=False, reason="the task is too vague")


class PickyPlugin:
    @steps_agents.hookimpl
    def register_judges(self, register: Any) -> None:
        register(PickyJudge, name="picky")


def test_a_rejecting_judge_drives_revisions_then_rejection_with_the_reason(
    tmp_path: Path, taxonomy: Any
) -> None:
    pm = steps_agents.get_plugin_manager(load_entrypoints=False, extra_plugins=(PickyPlugin(),))
    model = client(tmp_path)
    report = run_synthesis(
        config(tmp_path, n=3, judges=["format", "picky"], max_revisions=2, budget=60),
        model=model,
        taxonomy=taxonomy,
        pm=pm,
        progress=False,
    )
    assert report.accepted == 0 and rejected_rows(tmp_path)
    assert report.stop_reason == "budget spent"
    for row in rejected_rows(tmp_path):
        assert row["reason"] == "picky: the task is too vague"
        assert row["reason_tag"] == "picky"
        assert row["metadata"]["revisions"] == 2
        assert any(
            v["judge"] == "picky" and v["passed"] is False for v in row["metadata"]["verdicts"]
        )
        assert row["messages"]  # the last draft is kept beside the reason
    # Each rejected item cost 1 + 2 revisions; the feedback reached the generator's prompt.
    prompts = model.model.prompts  # type: ignore[attr-defined]
    revisions = [p for p in prompts if "A reviewer rejected the previous version" in p]
    assert revisions and all("picky: the task is too vague" in p for p in revisions)
    assert all('"scenario": "a small project"' in p for p in revisions)  # the rejected draft
    # The budget caps the calls; items it cut short are dropped unjudged (skipped), not rejected.
    assert 3 * len(rejected_rows(tmp_path)) <= len(prompts) == report.usage["calls"] <= 60
    assert report.rejection_reasons == {"picky": len(rejected_rows(tmp_path))}


def rejected_rows(tmp_path: Path) -> list[dict[str, Any]]:
    return read_jsonl(tmp_path / "out.rejects.jsonl")


def test_malformed_model_output_is_retried_then_rejected_and_the_run_goes_on(
    tmp_path: Path, taxonomy: Any
) -> None:
    # 4 of 24 skills, not the selector's favourites: when most drafts hold one, 80% of the
    # attempts fail and the circuit breaker (rightly) stops the run
    bad = list(taxonomy.skills[-4:])
    model = client(tmp_path, malformed_skills=bad)
    report = run_synthesis(config(tmp_path, n=8), model=model, taxonomy=taxonomy, progress=False)
    assert report.accepted == 8
    rejects = rejected_rows(tmp_path)
    assert rejects, "expected some combinations to include a malformed-output skill"
    for row in rejects:
        assert row["reason_tag"] == "model output"
        assert "no valid InstructDraft after 2 attempts" in row["reason"]
        assert set(row["metadata"]["skills"]) & set(bad)
    for row in read_jsonl(tmp_path / "out.jsonl"):
        assert not set(row["metadata"]["skills"]) & set(bad)
    # Items started beyond the target (never written) may have failed too.
    assert report.usage["retries"] >= len(rejects) and report.usage["failures"] >= len(rejects)


def test_a_second_run_with_the_same_run_id_spends_nothing_and_writes_nothing(
    tmp_path: Path, taxonomy: Any
) -> None:
    run_synthesis(config(tmp_path, n=6), model=client(tmp_path), taxonomy=taxonomy, progress=False)
    before = (tmp_path / "out.jsonl").read_bytes()
    again = client(tmp_path)
    report = run_synthesis(config(tmp_path, n=6), model=again, taxonomy=taxonomy, progress=False)
    assert report.resumed and report.accepted == 6
    assert again.model.prompts == []  # type: ignore[attr-defined]
    assert (tmp_path / "out.jsonl").read_bytes() == before
    # Asking the finished run for more continues it: 4 new samples, the first 6 untouched.
    more = run_synthesis(
        config(tmp_path, n=10), model=client(tmp_path), taxonomy=taxonomy, progress=False
    )
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert more.accepted == len(rows) == 10 and len({r["id"] for r in rows}) == 10
    assert (tmp_path / "out.jsonl").read_bytes().startswith(before)


def test_an_output_of_another_run_is_refused_with_the_way_out(
    tmp_path: Path, taxonomy: Any
) -> None:
    run_synthesis(config(tmp_path, n=2), model=client(tmp_path), taxonomy=taxonomy, progress=False)
    with pytest.raises(InputError, match="resume it with --run-id run-a"):
        run_synthesis(
            config(tmp_path, n=2, run_id="run-b"),
            model=client(tmp_path),
            taxonomy=taxonomy,
            progress=False,
        )


def test_instruct_without_a_model_and_unknown_names_fail_clearly(
    tmp_path: Path, taxonomy: Any
) -> None:
    with pytest.raises(InputError, match="needs a model: pass --model"):
        run_synthesis(config(tmp_path), taxonomy=taxonomy, progress=False)
    with pytest.raises(UnknownComponentError, match="unknown judge 'nope'; available: .*coverage"):
        run_synthesis(config(tmp_path, judges=["nope"]), taxonomy=taxonomy, progress=False)
    with pytest.raises(UnknownComponentError, match="unknown synthesis mode 'poetry'"):
        run_synthesis(config(tmp_path, mode="poetry"), taxonomy=taxonomy, progress=False)


def test_a_run_where_nothing_passes_stops_instead_of_burning_the_budget(
    tmp_path: Path, taxonomy: Any
) -> None:
    pm = steps_agents.get_plugin_manager(load_entrypoints=False, extra_plugins=(PickyPlugin(),))
    report = run_synthesis(
        config(tmp_path, n=5, judges=["picky"], max_revisions=0),
        model=client(tmp_path),
        taxonomy=taxonomy,
        pm=pm,
        progress=False,
    )
    assert report.accepted == 0 and 100 <= report.rejected < 200
    assert report.stop_reason.startswith("nothing accepted in ")
