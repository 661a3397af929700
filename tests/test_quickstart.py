"""``steps quickstart`` runs the whole method offline and resumes when rerun."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps_agents.cli import main
from steps_agents.taxonomy.artifact import load_taxonomy
from steps_agents.worlds import load_tasks


@pytest.mark.slow
def test_quickstart_end_to_end_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "qs"
    assert main(["quickstart", "-o", str(out), "--per-k", "3", "--k", "1-5"]) == 0
    printed = capsys.readouterr().out
    assert "agent oracle: pass rate by number of required skills k" in printed
    assert "| all |" in printed
    assert "| k | n | oracle | random | keyword (goal) | keyword (recipe) |" in printed
    assert "plans redrawn by the plan rules while composing:" in printed
    assert (
        "| k | n | depth | fan in | state changes | distractors | answer parts | style |" in printed
    )

    taxonomy = load_taxonomy(out / "taxonomy.json")
    assert len(taxonomy.skills) >= 40
    tasks = load_tasks(out / "tasks.jsonl")
    singles = [t for t in tasks if t.provenance.get("selector") == "singles"]
    assert len(tasks) - len(singles) == 15  # 3 per k, and the singles on top
    assert {t.k for t in tasks} <= set(range(1, 6))
    assert {t.k for t in singles} == {1}
    for task in tasks:
        assert len(set(task.skills)) == task.k
    # Every skill used at k >= 2 has a k = 1 task, or the synthesis report lists it.
    alone = {s for t in tasks if t.k == 1 for s in t.skills}
    unmeasured = {s for t in tasks if t.k >= 2 for s in t.skills} - alone
    assert "singles:" in printed
    assert all(skill in printed for skill in unmeasured)

    report = json.loads((out / "report.json").read_text())
    by_agent = {a["agent"]: a for a in report["agents"]}
    assert by_agent["oracle"]["overall"]["passed"] == len(tasks)
    assert by_agent["random"]["overall"]["passed"] <= 2
    assert "keyword" in by_agent
    recipes = load_tasks(out / "tasks-recipe.jsonl")
    assert [t.id for t in recipes] == [t.id for t in tasks]
    assert all(r.checker == t.checker for r, t in zip(recipes, tasks, strict=True))
    recipe_report = json.loads((out / "report-recipe.json").read_text())
    assert [a["agent"] for a in recipe_report["agents"]] == ["keyword"]
    assert (out / "report.md").read_text().startswith("#")

    # A rerun resumes: the same tasks, no new samples written.
    before = (out / "samples.jsonl").read_text()
    assert main(["quickstart", "-o", str(out), "--per-k", "3", "--k", "1-5"]) == 0
    assert (out / "samples.jsonl").read_text() == before


def test_quickstart_rejects_a_bad_k(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["quickstart", "-o", str(tmp_path), "--k", "7-2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --k:") and err.count("\n") == 1
