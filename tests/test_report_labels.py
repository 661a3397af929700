"""What the evaluation report's labels say matches what was counted (review findings 13, 14, 19)."""

from __future__ import annotations

import pytest

from steps_agents.errors import InputError
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.report import build_report, k_table, to_markdown
from steps_agents.fileformats import loads_json


def _episode(task: str, skills: list[str], passed: bool, repeat: int = 0) -> EpisodeResult:
    return EpisodeResult(
        run_id="r",
        agent="a",
        task_id=task,
        repeat=repeat,
        k=len(skills),
        skills=skills,
        passed=passed,
        covered=list(skills) if passed else [],
    )


class _Taxonomy:
    """Two communities: node 1 holds a, b, c (c used by no task), node 2 holds d."""

    leaf_of = {"a": 10, "b": 11, "c": 12, "d": 20}

    def ancestor_at_depth(self, skill: str, depth: int) -> int:
        return self.leaf_of[skill] // 10

    def label(self, node: int) -> str:
        return {1: "a / b / c", 2: "d"}[node]

    def subtree_skills(self, node: int) -> list[str]:
        return [s for s, leaf in self.leaf_of.items() if leaf // 10 == node]


def test_repeats_are_shown_as_tasks_times_repeats() -> None:
    eps = [
        _episode(f"t{i}", skills, passed=i % 2 == 0, repeat=r)
        for i, skills in enumerate([["a"], ["b"], ["a", "d"], ["b", "d"]])
        for r in range(3)
    ]
    report = build_report(eps, run_id="r", agents=["a"])
    table = k_table(report.agents[0])
    assert table.splitlines()[0].startswith("| k | tasks | pass | 95% CI |")
    assert "| 1 | 2 x 3 |" in table and "| all | 4 x 3 |" in table
    one = build_report([e for e in eps if e.repeat == 0], run_id="r", agents=["a"])
    assert "| all | 4 |" in k_table(one.agents[0])


def test_community_skills_column_says_how_many_of_the_taxonomy() -> None:
    eps = [_episode("t1", ["a", "b"], True), _episode("t2", ["a", "d"], False)]
    report = build_report(eps, run_id="r", agents=["a"], taxonomy=_Taxonomy())
    rows = {c.community: c for c in report.agents[0].per_community}
    assert rows["a / b / c"].skills == ["a", "b"] and rows["a / b / c"].taxonomy_skills == 3
    text = to_markdown(report)
    assert "| community | skills in tasks |" in text and "| a / b / c | 2 of 3 |" in text


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": "b", "k": 2\n', "(at the end of the line)"),
        ('{"id" "b"}', "(column 7)"),
        ('{\n"id" "b"}', "(line 2 column 6)"),  # a whole JSON document keeps its line
    ],
)
def test_a_json_error_never_names_an_inner_line_of_a_jsonl_record(text: str, where: str) -> None:
    with pytest.raises(InputError) as err:
        loads_json(text, location="bad.jsonl:4")
    assert str(err.value).endswith(where)
    assert str(err.value).startswith("bad.jsonl:4: malformed JSON: Expecting ")
