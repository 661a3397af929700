"""Co-occurrence counts, the three weightings, --min-count, and precomputed edge lists."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.corpus.cooccurrence import (
    WEIGHTINGS,
    build_skill_graph,
    corpus_set_counts,
    count_cooccurrence,
    count_corpus,
    read_edge_csv,
)
from steps_agents.errors import InputError, UnknownComponentError

RECORDS = [
    ["a", "b"],
    ["a", "b", "c"],
    ["b", "a"],
    ["c"],
    ["a", "a", "d"],  # duplicate skill counts once
    ["d", "c"],
]


def edge_map(graph) -> dict[tuple[str, str], float]:  # type: ignore[no-untyped-def]
    names = graph.skills
    return {
        (names[u], names[v]): w
        for u, v, w in zip(
            graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True
        )
    }


def test_counts_on_a_hand_example() -> None:
    c = count_cooccurrence(RECORDS)
    assert c.n_records == 6
    assert {s: c.count(s) for s in "abcd"} == {"a": 4, "b": 3, "c": 3, "d": 2}
    assert c.pair_count("a", "b") == 3 and c.pair_count("b", "a") == 3
    assert c.pair_count("a", "c") == 1 and c.pair_count("a", "d") == 1
    assert c.pair_count("b", "d") == 0 and c.pair_count("a", "zzz") == 0
    assert c.n_pairs == 5  # ab ac bc ad cd
    assert c.set_count(["b", "a"]) == 2 and c.set_count(["a", "d"]) == 1
    assert c.set_count(["a"]) == 0
    assert c.set_counts == Counter(
        {
            frozenset("ab"): 2,
            frozenset("abc"): 1,
            frozenset("c"): 1,
            frozenset("ad"): 1,
            frozenset("cd"): 1,
        }
    )


def test_the_three_weightings_follow_the_spec() -> None:
    c = count_cooccurrence(RECORDS)
    n = 6
    steps = edge_map(build_skill_graph(c, weighting="steps"))
    assert steps[("a", "b")] == pytest.approx((3 + 2) / ((4 + 1) * (3 + 1)))
    assert steps[("c", "d")] == pytest.approx((1 + 2) / ((3 + 1) * (2 + 1)))
    count = edge_map(build_skill_graph(c, weighting="count"))
    assert count == {("a", "b"): 3, ("a", "c"): 1, ("b", "c"): 1, ("a", "d"): 1, ("c", "d"): 1}
    ppmi = edge_map(build_skill_graph(c, weighting="ppmi"))
    # Only a-b has positive PMI: ln(6*3 / (4*3)); c-d has ln(6*1 / (3*2)) = 0 and the others are
    # negative, and a pair whose PMI is not positive gets no edge.
    assert ppmi == {("a", "b"): pytest.approx(math.log(n * 3 / (4 * 3)))}


def test_graph_is_sorted_and_independent_of_record_order() -> None:
    shuffled = RECORDS[:]
    random.Random(3).shuffle(shuffled)
    g1 = build_skill_graph(count_cooccurrence(RECORDS))
    g2 = build_skill_graph(count_cooccurrence([list(reversed(r)) for r in shuffled]))
    assert g1.skills == ("a", "b", "c", "d")
    assert g1.fingerprint() == g2.fingerprint()
    assert np.all(g1.src < g1.dst)
    assert g1.counts.tolist() == [4, 3, 3, 2]
    assert g1.pair_counts is not None and g1.pair_counts.tolist() == [3, 1, 1, 1, 1]
    assert g1.n_records == 6 and g1.weighting == "steps"


def test_min_count_drops_rare_skills_and_pairs_keeps_isolated_ones() -> None:
    g = build_skill_graph(count_cooccurrence(RECORDS), weighting="count", min_count=3)
    assert g.skills == ("a", "b", "c")  # d has c_d = 2
    assert edge_map(g) == {("a", "b"): 3}  # c stays, isolated
    with pytest.raises(InputError, match="min-count must be at least 1"):
        build_skill_graph(count_cooccurrence(RECORDS), min_count=0)


def test_unknown_weighting_lists_the_names() -> None:
    with pytest.raises(UnknownComponentError) as info:
        build_skill_graph(count_cooccurrence(RECORDS), weighting="pmi")
    assert str(info.value) == "unknown weighting 'pmi'; available: count, ppmi, steps"
    assert set(WEIGHTINGS) == {"steps", "count", "ppmi"}


def test_counting_consumes_a_stream_once_and_needs_some_skill() -> None:
    def stream() -> Iterator[list[str]]:
        for i in range(20_000):
            yield [f"s{i % 50}", f"s{(i * 7) % 50}"]

    c = count_cooccurrence(stream())
    assert c.n_records == 20_000 and c.n_skills == 50
    with pytest.raises(InputError, match="no records with skills"):
        count_cooccurrence(iter([[], []]))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from("abcdefgh"), min_size=0, max_size=6),
        min_size=1,
        max_size=40,
    ).filter(lambda rs: any(rs))
)
def test_counts_match_brute_force(records: list[list[str]]) -> None:
    c = count_cooccurrence(records)
    sets = [set(r) for r in records if r]
    assert c.n_records == len(sets)
    for s in "abcdefgh":
        assert c.count(s) == sum(s in r for r in sets)
    for a, b in combinations("abcdefgh", 2):
        assert c.pair_count(a, b) == sum(a in r and b in r for r in sets)
    assert c.set_counts == Counter(frozenset(r) for r in sets)
    g = build_skill_graph(c, weighting="count")
    assert sum(g.weight) == pytest.approx(sum(math.comb(len(r), 2) for r in sets))


def test_corpus_helpers_read_through_the_extractor(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"skills": r}) + "\n" for r in RECORDS), encoding="utf-8")
    assert count_corpus(str(path)).pair_count("a", "b") == 3
    assert corpus_set_counts(str(path))[frozenset("ab")] == 2


# -- edge lists -------------------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edges.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_edge_csv_is_read_with_extra_columns_and_zero_weights(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "source,target,weight,note\npython,sql,2.5,x\nsql,pandas,1,y\n\npython,poetry,0,z\n",
    )
    g = read_edge_csv(path)
    assert g.skills == ("python", "sql", "pandas", "poetry")
    assert edge_map(g) == {("python", "sql"): 2.5, ("sql", "pandas"): 1.0}
    assert g.weighting == "precomputed" and g.source == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,weight\nx,y,1\n", r"edges\.csv:1: header lacks source, target"),
        ("source,target,weight\nx,y,heavy\n", r"edges\.csv:2: weight 'heavy' is not a number"),
        ("source,target,weight\nx,y,-1\n", r"edges\.csv:2: weight must be finite and >= 0"),
        ("source,target,weight\nx,x,1\n", r"edges\.csv:2: self-loop 'x'"),
        ("source,target,weight\nx,y,1\ny,x,1\n", r"edges\.csv:3: edge 'y'-'x' repeats line 2"),
        ("source,target,weight\nx,y\n", r"edges\.csv:2: expected 3 columns, got 2"),
        ("source,target,weight\n", r"edges\.csv: no edges"),
        ("", r"edges\.csv: empty file"),
    ],
)
def test_edge_csv_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_edge_csv(write_csv(tmp_path, text))


def test_missing_edge_csv(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such graph file"):
        read_edge_csv(tmp_path / "none.csv")


def test_a_corpus_whose_records_are_all_skipped_names_the_source(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"skills": []}\n{"skills": [" "]}\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        count_corpus(str(path), skip_empty=True)
    assert str(info.value) == f"{path}: no record has any skill (2 read, 2 skipped as empty)"


def test_a_read_error_after_skipped_records_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"skills": []}\n{"skills": [\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"c\.jsonl:2: invalid JSON"):
        count_corpus(str(path), skip_empty=True)
