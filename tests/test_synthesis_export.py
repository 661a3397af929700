"""``steps synth export``: the destination's suffix picks the target; an unknown one is refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from steps_agents.cli import main
from steps_agents.errors import InputError
from steps_agents.synthesis.export import infer_target


def test_the_suffix_picks_the_target_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    assert infer_target(Path("e.jsonl")) == infer_target(Path("e.JSON")) == "jsonl"
    assert infer_target(Path("e.ndjson.gz")) == infer_target(Path("e.jsonl.gz")) == "jsonl"
    assert infer_target(Path("e.parquet")) == "parquet"
    assert infer_target(Path("dataset")) == "hf"
    (tmp_path / "ds.v2").mkdir()
    assert infer_target(tmp_path / "ds.v2") == "hf"  # an existing directory, whatever its name
    for name in ("e.xyz", "e.csv", "e.gz", "e.txt.gz"):
        with pytest.raises(InputError, match="unknown export target suffix"):
            infer_target(Path(name))


def test_export_to_an_unknown_suffix_is_one_line_and_gz_is_gzip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "s.jsonl"
    record = {"id": "a", "messages": [], "metadata": {"k": 2, "run_id": "r"}}
    source.write_text(json.dumps(record) + "\n")
    assert main(["synth", "export", str(source), "-o", str(tmp_path / "e.xyz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path / 'e.xyz'}: ")
    assert ".jsonl" in err[0] and ".parquet" in err[0] and "directory" in err[0]
    assert "'.xyz'" in err[0]
    assert not (tmp_path / "e.xyz").exists()
    assert main(["synth", "export", str(source), "-o", str(tmp_path / "e.jsonl.gz")]) == 0
    with gzip.open(tmp_path / "e.jsonl.gz", "rt", encoding="utf-8") as handle:
        assert [json.loads(line)["id"] for line in handle] == ["a"]
