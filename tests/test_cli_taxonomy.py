"""``steps taxonomy build|show|stats`` end to end, and its one-line errors (exit code 2)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from steps_agents.cli import main
from steps_agents.errors import InputError
from steps_agents.taxonomy.artifact import load_taxonomy

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = str(REPO / "examples" / "data" / "example_corpus.jsonl.gz")
LEXICON = str(REPO / "examples" / "data" / "lexicon.toml")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tax") / "taxonomy.json"
    assert main(["taxonomy", "build", EXAMPLE, "-o", str(out), "--seed", "1"]) == 0
    return out


def test_build_writes_the_artifact_and_prints_a_summary(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(built.read_text())
    assert data["schema"] == "steps-agents/taxonomy@1"
    assert data["height"] == 3
    assert data["params"]["weighting"] == "steps" and data["params"]["extractor"] == "auto"
    assert data["input"]["n_records"] == 5000
    assert data["stats"]["records"] == 5000 and data["stats"]["skipped_empty"] == 0
    leaves = [n for n in data["nodes"] if "skill" in n]
    assert len(leaves) == 84
    t = load_taxonomy(built)
    assert 0 < t.structural_entropy < t.one_dim_entropy
    # Same build again, with --json: same file content and a parseable summary.
    again = tmp_path / "again.json"
    capsys.readouterr()
    assert main(["taxonomy", "build", EXAMPLE, "-o", str(again), "--seed", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert again.read_text() == built.read_text()
    assert summary["skills"] == 84 and summary["records"] == 5000
    assert summary["structural_entropy"] == pytest.approx(t.structural_entropy)
    assert summary["theta"] == pytest.approx(1 - t.structural_entropy / t.one_dim_entropy)
    assert summary["top_communities"] and all(c["skills"] > 1 for c in summary["top_communities"])


def test_build_text_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.json"
    code = main(
        ["taxonomy", "build", EXAMPLE, "-o", str(out), "--weight", "ppmi", "--min-count", "3"]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert f"wrote {out}: " in text and "(ppmi weights) from 5000 records" in text
    assert "H1 " in text and "H^T " in text and "theta " in text and "top communities:" in text


def test_build_with_the_lexicon_extractor(tmp_path: Path) -> None:
    out = tmp_path / "lex.json"
    args = ["taxonomy", "build", EXAMPLE, "-o", str(out), "--extractor", "lexicon"]
    assert main([*args, "--lexicon", LEXICON]) == 0
    assert len(load_taxonomy(out).skills) == 84


def test_build_from_an_edge_list(tmp_path: Path) -> None:
    csv_path = tmp_path / "edges.csv"
    rows = ["source,target,weight"]
    for group in ("abc", "def"):
        rows += [f"{x},{y},2" for i, x in enumerate(group) for y in group[i + 1 :]]
    rows.append("c,d,0.5")
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "g.json"
    assert (
        main(["taxonomy", "build", "--graph", str(csv_path), "-o", str(out), "--height", "1"]) == 0
    )
    t = load_taxonomy(out)
    assert sorted(t.skills) == list("abcdef")
    assert t.lca(["a", "b"]) != 0 and t.lca(["a", "d"]) == 0  # the two triangles split


def test_show_formats(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["taxonomy", "show", str(built), "--depth", "1"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("root: 84 skills, H^T ")
    assert all(line.startswith("+ [") for line in text[1:])  # depth 1: only top communities
    assert main(["taxonomy", "show", str(built)]) == 0
    full = capsys.readouterr().out
    assert full.count("path entropy") == 84
    assert main(["taxonomy", "show", str(built), "--format", "mermaid", "--depth", "2"]) == 0
    mermaid = capsys.readouterr().out.splitlines()
    assert mermaid[0] == "flowchart TD" and any(" --> " in line for line in mermaid)
    assert main(["taxonomy", "show", str(built), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(built.read_text())
    assert main(["taxonomy", "show", str(built), "--format", "json", "--depth", "0"]) == 0
    assert [n["id"] for n in json.loads(capsys.readouterr().out)["nodes"]] == [0]


def test_stats_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["taxonomy", "stats", EXAMPLE]) == 0
    text = capsys.readouterr().out
    assert "5000 records, 84 skills" in text
    assert "Clauset" in text and "pairs ever seen: " in text
    for label in ("single skills", "pairs", "whole sets"):
        assert label in text
    assert main(["taxonomy", "stats", EXAMPLE, "--json", "--max-k", "3"]) == 0

    def strict(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    report = json.loads(capsys.readouterr().out, parse_constant=strict)
    assert report["records"] == 5000 and report["skills"] == 84
    assert report["sets"]["fit"]["alpha"] > 1
    assert report["pairs_possible"] == 84 * 83 // 2
    row3 = next(r for r in report["by_k"] if r["k"] == 3)
    assert row3["occurring_inside_records"] >= row3["distinct_sets"]
    assert "occurring_inside_records" not in next(r for r in report["by_k"] if r["k"] == 4)


def test_two_workers_build_and_report_what_one_process_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Over 1 MiB, so --workers 2 cuts it into shards read by two processes.
    with gzip.open(EXAMPLE, "rt", encoding="utf-8") as f:
        records = f.read()
    corpus = tmp_path / "big.jsonl"
    corpus.write_text(records * (1 + (3 << 20) // len(records)), encoding="utf-8")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"taxonomy_{workers}.json"
        argv = ["taxonomy", "build", str(corpus), "-o", str(out), "--workers", workers]
        assert main([*argv, "--height", "2"]) == 0
        outputs.append(out.read_text())
        capsys.readouterr()
        assert main(["taxonomy", "stats", str(corpus), "--json", "--workers", workers]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]
    assert json.loads(outputs[1])["records"] == json.loads(outputs[0])["input"]["n_records"]


# -- errors: one line on stderr, exit code 2, no traceback --------------------------------------


def run_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    return err


def write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("action", ["build", "stats"])
def test_invalid_json_names_file_and_line(
    action: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tmp_path, "c.jsonl", ['{"skills": ["a", "b"]}', '{"skills": ["a"'])
    out = ["-o", str(tmp_path / "t.json")] if action == "build" else []
    err = run_error(capsys, ["taxonomy", action, src, *out])
    assert err.startswith(f"error: {src}:2: invalid JSON")


def test_record_without_skills_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tmp_path, "c.jsonl", ['{"skills": ["a", "b"]}', '{"skills": []}'])
    out = str(tmp_path / "t.json")
    err = run_error(capsys, ["taxonomy", "build", src, "-o", out, "--extractor", "tags"])
    assert err.startswith(f"error: {src}:2: no skills found by the 'tags' extractor")
    assert "--skip-empty" in err
    assert main(["taxonomy", "build", src, "-o", out, "--skip-empty", "--height", "1"]) == 0
    assert json.loads(Path(out).read_text())["stats"]["skipped_empty"] == 1


def test_empty_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "empty.jsonl", [])
    err = run_error(capsys, ["taxonomy", "stats", src])
    assert err == f"error: {src}: the corpus is empty (no records)"
    gz = tmp_path / "empty.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\n\n"))
    err = run_error(capsys, ["taxonomy", "build", str(gz), "-o", str(tmp_path / "t.json")])
    assert "the corpus is empty" in err


def test_unknown_extractor_and_weight_list_the_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "t.json")
    err = run_error(capsys, ["taxonomy", "build", EXAMPLE, "-o", out, "--extractor", "magic"])
    assert "unknown extractor 'magic'; available: " in err
    assert "lexicon" in err and "tags" in err and "tool_calls" in err
    err = run_error(capsys, ["taxonomy", "build", EXAMPLE, "-o", out, "--weight", "pmi"])
    assert err == "error: unknown weighting 'pmi'; available: count, ppmi, steps"
    assert not Path(out).exists()


def test_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.jsonl")
    err = run_error(capsys, ["taxonomy", "build", missing, "-o", str(tmp_path / "t.json")])
    assert err == f"error: {missing}: no such corpus file"
    err = run_error(capsys, ["taxonomy", "stats", missing])
    assert err == f"error: {missing}: no such corpus file"
    err = run_error(capsys, ["taxonomy", "show", str(tmp_path / "nope.json")])
    assert "no such taxonomy file" in err
    graph = str(tmp_path / "nope.csv")
    err = run_error(capsys, ["taxonomy", "build", "--graph", graph, "-o", str(tmp_path / "t.json")])
    assert err == f"error: {graph}: no such graph file"


def test_argument_conflicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "t.json")
    err = run_error(capsys, ["taxonomy", "build", "-o", out])
    assert "give either a CORPUS or --graph FILE" in err
    csv_path = write(tmp_path, "e.csv", ["source,target,weight", "a,b,1"])
    err = run_error(capsys, ["taxonomy", "build", "--graph", csv_path, "--weight", "count"])
    assert "--weight applies to a corpus" in err
    err = run_error(capsys, ["taxonomy", "build", EXAMPLE, "--lexicon", LEXICON, "--height", "0"])
    assert "--height must be between 1 and 32" in err
    err = run_error(capsys, ["taxonomy", "build", EXAMPLE, "--extractor", "lexicon", "-o", out])
    assert "--lexicon FILE" in err


def test_extractor_options_from_the_command_line() -> None:
    from steps_agents.cli import build_parser
    from steps_agents.cli.taxonomy import _options

    args = build_parser().parse_args(
        ["taxonomy", "stats", "c.jsonl", "--model", "fake:echo", "--batch-size", "8",
         "--extractor-opt", "temperature=0.5", "--extractor-opt", "base_url=http://x/v1"]
    )  # fmt: skip
    options = _options(args)
    assert options.model == "fake:echo" and options.batch_size == 8
    assert options.extra == {"temperature": 0.5, "base_url": "http://x/v1"}
    bad = build_parser().parse_args(["taxonomy", "stats", "c.jsonl", "--extractor-opt", "novalue"])
    with pytest.raises(InputError, match="KEY=VALUE"):
        _options(bad)


def test_the_example_taxonomy_recovers_the_generator_domains(built: Path) -> None:
    """The example corpus draws co-occurrence mostly within 8 domains; level 2 should find them."""
    import importlib.util
    from collections import Counter

    spec = importlib.util.spec_from_file_location(
        "make_example_corpus", REPO / "examples" / "make_example_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    domain = {s: d for d, rows in script.SKILLS.items() for s, _, _ in rows}
    t = load_taxonomy(built)
    communities = [
        t.subtree_skills(v)
        for v in range(len(t.nodes))
        if t.depth[v] == 2 and t.nodes[v].skill is None
    ]
    assert 6 <= len(communities) <= 12
    majority = sum(Counter(domain[s] for s in c).most_common(1)[0][1] for c in communities)
    assert majority / len(domain) >= 0.9  # purity against the planted domains
