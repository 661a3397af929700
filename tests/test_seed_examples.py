"""Seed examples: reservoir sampling per skill, stable ids, user-facing text, determinism."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from steps_agents.synthesis.seed_examples import SeedExample, SeedExampleIndex

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = str(REPO / "examples" / "data" / "example_corpus.jsonl.gz")


def test_index_over_the_example_corpus() -> None:
    index = SeedExampleIndex.build(EXAMPLE, per_skill=3, seed=0)
    assert len(index) == 84
    for skill in index.skills():
        rows = index.examples(skill)
        assert 1 <= len(rows) <= 3
        for ex in rows:
            assert ex.skill == skill and skill in ex.record["skills"]
            assert ex.id == ex.record["id"] and ex.text == ex.record["instruction"]
    again = SeedExampleIndex.build(EXAMPLE, per_skill=3, seed=0)
    assert all(index.examples(s) == again.examples(s) for s in index.skills())
    other = SeedExampleIndex.build(EXAMPLE, per_skill=3, seed=1)
    assert any(index.examples(s) != other.examples(s) for s in index.skills())


def test_pick_and_missing_skills() -> None:
    index = SeedExampleIndex.build(EXAMPLE, per_skill=2, seed=0)
    ex = index.pick("Poetry", random.Random(0))  # names are normalised on lookup
    assert isinstance(ex, SeedExample) and ex.skill == "poetry"
    assert index.pick("underwater basket weaving", random.Random(0)) is None
    assert "poetry" in index and "nope" not in index
    with pytest.raises(ValueError):
        ex.__setattr__("skill", "x")  # frozen


def test_reservoir_is_uniform_over_records(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    # 10 records carry "s"; with per_skill=1 each should be kept about 1/10 of the time.
    path.write_text(
        "".join(json.dumps({"prompt": f"p{i}", "skills": ["s"]}) + "\n" for i in range(10)),
        encoding="utf-8",
    )
    kept = Counter(
        SeedExampleIndex.build(str(path), per_skill=1, seed=seed).examples("s")[0].text
        for seed in range(600)
    )
    assert set(kept) == {f"p{i}" for i in range(10)}
    assert max(kept.values()) < 100 and min(kept.values()) > 25  # expected 60 each
    # Without an "id" field the location is the stable id.
    ex = SeedExampleIndex.build(str(path), per_skill=1, seed=0).examples("s")[0]
    assert ex.id.startswith(f"{path}:")
