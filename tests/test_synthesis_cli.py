"""``steps synth`` and ``steps synth export`` end to end, in-process, with a fake model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers_synthesis import read_jsonl

from steps_agents.cli import main
from steps_agents.selection.synthetic import random_taxonomy


@pytest.fixture
def taxonomy_file(tmp_path: Path) -> Path:
    path = tmp_path / "taxonomy.json"
    random_taxonomy(24, height=2, seed=2).save(path)
    return path


def synth(tmp_path: Path, taxonomy_file: Path, *extra: str) -> list[str]:
    return [
        "synth",
        "--taxonomy",
        str(taxonomy_file),
        "-o",
        str(tmp_path / "out.jsonl"),
        "--model",
        "helpers_synthesis:slow_model",
        "--judges",
        "format,language",
        *extra,
    ]


def test_synth_json_report_and_curriculum_export(
    tmp_path: Path,
    taxonomy_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPS_FAKE_LATENCY", "0")
    (tmp_path / "steps.toml").write_text('[synth]\nn = 12\nk = "2-4"\nformat = "sharegpt"\n')
    code = main(
        synth(
            tmp_path,
            taxonomy_file,
            "--config",
            str(tmp_path / "steps.toml"),
            "--run-id",
            "cli",
            "--json",
        )
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == 12 and report["run_id"] == "cli"
    assert report["stop_reason"] == "target reached" and report["usage"]["calls"] >= 12
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert len(rows) == 12 and all("conversations" in r for r in rows)

    assert (
        main(
            [
                "synth",
                "export",
                str(tmp_path / "out.jsonl"),
                "-o",
                str(tmp_path / "ordered.jsonl"),
                "--curriculum",
            ]
        )
        == 0
    )
    ordered = read_jsonl(tmp_path / "ordered.jsonl")
    assert sorted(r["id"] for r in ordered) == sorted(r["id"] for r in rows)
    keys = [(r["metadata"]["epoch"], r["metadata"]["k"]) for r in ordered]
    assert keys == sorted(keys)  # easy to hard within each epoch, epochs in order


def test_missing_model_unknown_spec_and_missing_extra_are_one_line_errors(
    tmp_path: Path,
    taxonomy_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["synth", "--taxonomy", str(taxonomy_file), "-o", str(tmp_path / "o.jsonl"), "-n", "2"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert (
        err == "error: --model: the 'instruct' mode needs a model: pass --model SPEC"
        " (PROVIDER:MODEL, MODULE:ATTRIBUTE, or a name with --base-url)"
    )
    assert main([*args, "--model", "no_such_module_xyz:thing"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and "no_such_module_xyz" in err
    (tmp_path / "s.jsonl").write_text("")
    # pyarrow is a dev dependency (the edge-list reader's fast path): hide it, as a user
    # without the parquet extra has it.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert (
        main(["synth", "export", str(tmp_path / "s.jsonl"), "-o", str(tmp_path / "s.parquet")]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "error: Parquet export needs the 'pyarrow' package: pip install 'steps-agents[parquet]'"
    )
    assert main(["synth", "export", str(tmp_path / "s.jsonl"), "-o", str(tmp_path / "ds")]) == 2
    assert "pip install 'steps-agents[hf]'" in capsys.readouterr().err


def test_budget_stop_exits_1_and_says_how_to_resume(
    tmp_path: Path,
    taxonomy_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPS_FAKE_LATENCY", "0")
    code = main(synth(tmp_path, taxonomy_file, "-n", "30", "--budget", "5", "--run-id", "b"))
    captured = capsys.readouterr()
    assert code == 1
    assert "budget spent" in captured.out and "--run-id b" in captured.err
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 5
