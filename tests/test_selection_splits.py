"""Split policies: each guarantee holds on random corpora, and appending never moves a record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.cli import main
from steps_agents.selection import splits

SKILLS = [f"s{i}" for i in range(9)]
skill_sets = st.frozensets(st.sampled_from(SKILLS), min_size=1, max_size=6)
corpora = st.lists(skill_sets, min_size=1, max_size=60)
fractions = st.floats(min_value=0.05, max_value=0.95)
seeds = st.integers(min_value=0, max_value=2**31)
COMMUNITY = {s: f"c{i % 3}" for i, s in enumerate(SKILLS)}


def sides(sets: list[frozenset[str]], flags: list[bool]) -> tuple[list, list]:
    return [s for s, t in zip(sets, flags, strict=True) if not t], [
        s for s, t in zip(sets, flags, strict=True) if t
    ]


@settings(max_examples=150, deadline=None)
@given(corpora, fractions, seeds)
def test_combination_no_test_set_in_train(sets, fraction, seed) -> None:
    train, test = sides(sets, splits.split_combination(sets, fraction=fraction, seed=seed))
    assert not set(train) & set(test)
    assert splits.overlaps(train, test)["test_records_with_train_set"] == 0


@settings(max_examples=150, deadline=None)
@given(corpora, fractions, seeds)
def test_strict_combination_no_test_set_inside_a_train_set(sets, fraction, seed) -> None:
    train, test = sides(
        sets, splits.split_combination(sets, fraction=fraction, seed=seed, strict=True)
    )
    for t in test:
        assert len(t) >= 2
        assert not any(t <= r for r in train)
    assert splits.overlaps(train, test)["test_sets_inside_train"] == 0
    assert splits.overlaps(train, test)["test_records_with_unseen_pair"] == len(test)


@settings(max_examples=100, deadline=None)
@given(corpora, st.integers(min_value=1, max_value=6))
def test_k_policy(sets, max_k) -> None:
    train, test = sides(sets, splits.split_k(sets, max_train_k=max_k))
    assert all(len(s) <= max_k for s in train) and all(len(s) > max_k for s in test)


@settings(max_examples=150, deadline=None)
@given(corpora, fractions, seeds)
def test_community_policy_train_never_touches_a_held_out_region(sets, fraction, seed) -> None:
    held = splits.held_out_communities(["c0", "c1", "c2"], fraction=fraction, seed=seed)
    assert 1 <= len(held) <= 2
    train, test = sides(sets, splits.split_community(sets, COMMUNITY, held))
    assert all(COMMUNITY[x] not in held for s in train for x in s)
    assert all(any(COMMUNITY[x] in held for x in s) for s in test)


@settings(max_examples=150, deadline=None)
@given(corpora, fractions, seeds)
def test_skill_policy_held_out_skills_never_in_train(sets, fraction, seed) -> None:
    held = splits.held_out_skills(SKILLS, fraction=fraction, seed=seed)
    train, test = sides(sets, splits.split_skill(sets, held))
    assert all(held.isdisjoint(s) for s in train)
    assert all(not held.isdisjoint(s) for s in test)


def _all_policies(sets: list[frozenset[str]], seed: int) -> dict[str, list[bool]]:
    keys = [f"id-{splits.set_text(s)}-{i}" for i, s in enumerate(sets)]
    held = splits.held_out_communities(["c0", "c1", "c2"], fraction=0.3, seed=seed)
    return {
        "combination": splits.split_combination(sets, fraction=0.3, seed=seed),
        "strict": splits.split_combination(sets, fraction=0.3, seed=seed, strict=True),
        "k": splits.split_k(sets, max_train_k=3),
        "community": splits.split_community(sets, COMMUNITY, held),
        "skill": splits.split_skill(sets, splits.held_out_skills(SKILLS, fraction=0.3, seed=seed)),
        "random": splits.split_random(keys, fraction=0.3, seed=seed),
    }


@settings(max_examples=100, deadline=None)
@given(corpora, corpora, seeds)
def test_appending_records_never_moves_one(first, more, seed) -> None:
    before = _all_policies(first, seed)
    after = _all_policies(first + more, seed)
    for policy, flags in before.items():
        assert after[policy][: len(first)] == flags, policy


def test_random_splits_records_so_a_set_can_land_on_both_sides() -> None:
    # 200 records of one skill set: random sends some of them to each side (its leak)
    flags = splits.split_random([f"r{i}" for i in range(200)], fraction=0.3, seed=0)
    assert 30 < sum(flags) < 90


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _task_rows(n: int) -> list[dict]:
    return [
        {
            "schema": "steps-agents/task@1",
            "id": f"t{i}",
            "skills": sorted({SKILLS[i % 9], SKILLS[(i * 7) % 9]}),
            "world": "w",
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("policy", ["combination", "k", "skill", "random"])
def test_cli_writes_both_sides_and_the_manifest(tmp_path: Path, policy: str, capsys) -> None:
    src = _write(tmp_path / "tasks.jsonl", _task_rows(40))
    extra = ["--max-train-k", "1"] if policy == "k" else []
    assert main(["split", str(src), "--policy", policy, "-o", str(tmp_path / "out"), *extra]) == 0
    train = (tmp_path / "out" / "train.jsonl").read_text().splitlines()
    test = (tmp_path / "out" / "test.jsonl").read_text().splitlines()
    assert sorted(train + test) == sorted(src.read_text().splitlines())  # lines copied verbatim
    manifest = json.loads((tmp_path / "out" / "split.json").read_text())
    assert manifest["schema"] == splits.SPLIT_SCHEMA and manifest["policy"] == policy
    assert manifest["source"]["kind"] == "tasks"
    assert manifest["counts"]["train"]["records"] == len(train)
    assert manifest["counts"]["test"]["records"] == len(test)
    assert set(manifest["overlap"]) >= {"skills", "pairs", "sets"}
    if policy != "random":
        assert manifest["overlap"]["sets"]["shared"] == 0


def test_cli_reads_samples_and_corpus_records(tmp_path: Path) -> None:
    samples = _write(
        tmp_path / "s.jsonl",
        [
            {
                "schema": "steps-agents/sample@1",
                "id": str(i),
                "metadata": {"skills": ["a", f"b{i}"]},
            }
            for i in range(10)
        ],
    )
    corpus = _write(tmp_path / "c.jsonl", [{"label": {"ability": ["a", "b"]}}, {"skills": ["a"]}])
    for src in (samples, corpus):
        assert (
            main(["split", str(src), "--policy", "combination", "-o", str(tmp_path / src.stem)])
            == 0
        )
    assert json.loads((tmp_path / "s" / "split.json").read_text())["source"]["kind"] == "samples"
    assert json.loads((tmp_path / "c" / "split.json").read_text())["source"]["kind"] == "corpus"


def test_cli_errors_are_one_line(tmp_path: Path, capsys) -> None:
    src = _write(tmp_path / "tasks.jsonl", _task_rows(5))
    assert main(["split", str(src), "--policy", "community", "-o", str(tmp_path / "o")]) == 2
    assert main(["split", str(src), "--policy", "k", "-o", str(tmp_path / "o")]) == 2
    bad = _write(tmp_path / "bad.jsonl", [{"schema": "steps-agents/task@1", "skills": []}])
    assert main(["split", str(bad), "--policy", "random", "-o", str(tmp_path / "o")]) == 2
    assert main(["split", str(src), "--policy", "skill", "--holdout", "s1,nope", "-o", "o"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: --taxonomy: the community policy needs --taxonomy",
        "error: --max-train-k: the k policy needs --max-train-k K",
        f"error: {bad}:1: skills must be a non-empty list of strings",
        f"error: --holdout: skill 'nope' occurs in no record of {src}",
    ]
