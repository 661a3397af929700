"""``steps select``: output records, report, curriculum and one-line input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps_agents.cli import main
from steps_agents.records import Combination
from steps_agents.selection import set_information
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.taxonomy.artifact import load_taxonomy


@pytest.fixture()
def taxonomy_file(tmp_path: Path) -> Path:
    path = tmp_path / "taxonomy.json"
    random_taxonomy(120, height=3, seed=5).save(path)
    return path


def select(taxonomy: Path, *args: str) -> int:
    """``steps select --taxonomy TAXONOMY --no-progress ARGS``: the exit code."""
    return main(["select", "--taxonomy", str(taxonomy), "--no-progress", *args])


def _read(path: Path) -> list[Combination]:
    return [Combination.model_validate_json(line) for line in path.read_text().splitlines()]


def test_select_writes_one_record_per_line(
    taxonomy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "combos.jsonl"
    rc = select(taxonomy_file, "-n", "30", "--k", "2-4", "--beam", "10", "-o", str(out), "--report")
    assert rc == 0
    combos = _read(out)
    tax = load_taxonomy(taxonomy_file)
    assert len(combos) == 30 and {c.k for c in combos} == {2, 3, 4}
    for c in combos:
        assert c.gain == pytest.approx(set_information(tax, c.skills), abs=1e-12)
        assert c.selector == "steps" and c.seed_skill == c.skills[0] and c.lca_depth is not None
    text = capsys.readouterr().out
    assert "top-level communities covered" in text and "LCA depth" in text
    assert not list(tmp_path.glob("*.tmp*"))


def test_select_json_report_and_curriculum(
    taxonomy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.jsonl"
    curriculum = ["--curriculum", "--selector", "random-coherent"]
    rc = select(taxonomy_file, "-n", "60", *curriculum, "-o", str(out), "--json")
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["combinations"] == 60 and report["output"] == str(out)
    combos = _read(out)
    epochs = [c.epoch for c in combos]
    assert epochs == sorted(epochs) and set(epochs) == {1, 2, 3}  # type: ignore[type-var]
    first = [c.k for c in combos if c.epoch == 1]
    last = [c.k for c in combos if c.epoch == 3]
    assert sum(first) / len(first) < sum(last) / len(last)  # easy to hard


def test_select_to_stdout_and_exclude(
    taxonomy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert select(taxonomy_file, "-n", "5", "--k", "3", "--beam", "5") == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 5 and "wrote 5" in captured.err
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(lines) + "\n")
    out = tmp_path / "second.jsonl"
    exclude = ["--exclude", str(first), "-o", str(out)]
    assert select(taxonomy_file, "-n", "5", "--k", "3", "--beam", "5", *exclude) == 0
    assert not {c.key() for c in _read(out)} & {frozenset(json.loads(x)["skills"]) for x in lines}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such taxonomy file"),
        ("{not json", "invalid JSON"),
        ('{"schema": "other/taxonomy@9", "nodes": []}', "schema is 'other/taxonomy@9'"),
        ('{"schema": "steps-agents/taxonomy@1", "nodes": [{"id": 0}]}', "malformed"),
    ],
)
def test_bad_taxonomy_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "taxonomy.json"
    if content is not None:
        path.write_text(content)
    rc = main(["select", "--taxonomy", str(path), "-n", "3"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "x"], "--k"),
        (["--k", "2,3", "--k-weights", "1"], "--k-weights"),
        (["--selector", "nope"], "unknown selector"),
        (["--selector", "longtail"], "--corpus"),
        (["--k", "2,3", "--curriculum"], "--curriculum"),
    ],
)
def test_bad_flags_are_one_line_exit_2(
    taxonomy_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    rc = select(taxonomy_file, "-n", "3", *args)
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1


def test_corpus_counts_and_longtail(
    taxonomy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "steps.jsonl"
    base = ["-n", "10", "--k", "2", "--beam", "5"]
    assert select(taxonomy_file, *base, "-o", str(out)) == 0
    chosen = [c.skills for c in _read(out)]
    corpus = tmp_path / "corpus.jsonl"
    rows = [{"skills": list(s)} for s in chosen[:4] for _ in range(2)] + [
        {"skills": [chosen[5][0]]}
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    counted = tmp_path / "counted.jsonl"
    counting = ["--corpus", str(corpus), "--report"]
    assert select(taxonomy_file, *base, "-o", str(counted), *counting) == 0
    assert [c.corpus_count for c in _read(counted)] == [2] * 4 + [0] * 6
    assert "sets never in the corpus: 6 of 10" in capsys.readouterr().out
    tail = tmp_path / "tail.jsonl"
    longtail = ["--corpus", str(corpus), "--selector", "longtail"]
    assert select(taxonomy_file, *base, "-o", str(tail), *longtail) == 0
    assert all(c.corpus_count == 0 for c in _read(tail))


def test_seeds_flag(taxonomy_file: Path, tmp_path: Path) -> None:
    tax = load_taxonomy(taxonomy_file)
    seeds = sorted(tax.skills)[::40][:3]  # far apart: no seed exhausts its sets
    listing = tmp_path / "seeds.txt"
    listing.write_text("\n".join(seeds) + "\n")
    for flag in (",".join(seeds), f"@{listing}"):
        out = tmp_path / "s.jsonl"
        assert select(taxonomy_file, "-n", "3", "--k", "2", "--seeds", flag, "-o", str(out)) == 0
        assert [c.seed_skill for c in _read(out)] == seeds
