"""The taxonomy artifact: queries, term arithmetic, round trip, and one-line load errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from steps_agents.errors import InputError
from steps_agents.taxonomy.artifact import SCHEMA, Taxonomy, TaxonomyNode, load_taxonomy


def two_triangles() -> Taxonomy:
    """Two triangles {a,b,c} {d,e,f} joined by c-d, unit weights: vol = 14."""
    nodes = [
        TaxonomyNode(0, None, 14.0, 0.0, label="root"),
        TaxonomyNode(1, 0, 7.0, 1.0, label="a / b / c"),
        TaxonomyNode(2, 0, 7.0, 1.0, label="d / e / f"),
    ]
    degrees = {"a": 2, "b": 2, "c": 3, "d": 3, "e": 2, "f": 2}
    for i, (skill, deg) in enumerate(degrees.items()):
        nodes.append(
            TaxonomyNode(
                3 + i, 1 if i < 3 else 2, float(deg), float(deg), skill=skill, count=10 + i
            )
        )
    return Taxonomy(nodes, {"one_dim_entropy": 2.556657, "height": 1})


def test_structural_entropy_matches_the_spec_example() -> None:
    assert two_triangles().structural_entropy == pytest.approx(1.699514, abs=1e-6)


def test_path_entropy_is_the_sum_of_terms_to_the_root() -> None:
    t = two_triangles()
    expected = -(3 / 14) * math.log2(3 / 7) - (1 / 14) * math.log2(7 / 14)
    assert t.path_entropy("c") == pytest.approx(expected)
    assert sum(t.term) == pytest.approx(t.structural_entropy)


def test_queries() -> None:
    t = two_triangles()
    assert t.ancestors("a") == [1, 0]
    assert t.path("e") == [0, 2, t.leaf("e")]
    assert t.lca(["a", "b"]) == 1
    assert t.lca(["a", "e"]) == 0
    assert t.tree_distance("a", "b") == 2
    assert t.tree_distance("a", "f") == 4
    assert sorted(t.siblings("a")) == ["b", "c"]
    assert t.subtree_skills(2) == ["d", "e", "f"]
    assert t.ancestor_at_depth("f", 1) == 2
    assert t.skill_count("b") == 11
    assert t.height == 2


def test_round_trip(tmp_path: Path) -> None:
    t = two_triangles()
    path = tmp_path / "t.json"
    t.save(path)
    back = load_taxonomy(path)
    assert back.structural_entropy == pytest.approx(t.structural_entropy)
    assert back.to_dict() == t.to_dict()
    assert json.loads(path.read_text())["schema"] == SCHEMA


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such taxonomy file"),
        ("{not json", "invalid JSON at line 1"),
        (
            '{"schema": "steps-agents/taxonomy@0", "nodes": []}',
            "expected 'steps-agents/taxonomy@1'",
        ),
        (json.dumps({"schema": SCHEMA, "nodes": [{"id": 0}]}), "nodes[0] is malformed"),
        (
            json.dumps(
                {
                    "schema": SCHEMA,
                    "nodes": [
                        {"id": 0, "parent": None, "volume": 1, "cut": 0},
                        {"id": 1, "parent": 5, "volume": 1, "cut": 0},
                    ],
                }
            ),
            "invalid parent",
        ),
    ],
)
def test_load_errors_are_one_line_and_name_the_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as info:
        load_taxonomy(path)
    text = str(info.value)
    assert "\n" not in text and str(path) in text and message in text
