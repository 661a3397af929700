"""Versioned synthesis files: every sample and reject line starts with ``steps-agents/sample@1``
(whatever the output format), readers check it (a missing marker is version 1), and the
``steps synth --json`` report starts with ``steps-agents/synth-report@1``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_synthesis import read_jsonl
from steps_agents.plugins.agentic_mode import export_tasks
from steps_agents.plugins.formats import render_alpaca, render_messages, render_sharegpt

from steps_agents.cli import main
from steps_agents.errors import InputError
from steps_agents.fileformats import SAMPLE_SCHEMA, SYNTH_REPORT_SCHEMA
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.export import export_samples, read_samples
from steps_agents.synthesis.records import Provenance, Sample
from steps_agents.synthesis.store import SampleWriter


def sample(i: int, status: str = "accepted") -> Sample:
    return Sample(
        id=f"id{i}",
        status=status,  # type: ignore[arg-type]
        messages=({"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}),
        provenance=Provenance(
            run_id="r",
            mode="instruct",
            skills=(f"s{i}", "t"),
            k=2,
            gain=1.5,
            selector="steps",
            seed_skill=f"s{i}",
        ),
        reason="" if status == "accepted" else "format: empty",
        reason_tag="" if status == "accepted" else "format",
    )


@pytest.mark.parametrize("render", [render_messages, render_sharegpt, render_alpaca])
def test_every_line_of_every_format_starts_with_the_marker(tmp_path: Path, render: object) -> None:
    with SampleWriter(
        tmp_path / "o.jsonl",
        tmp_path / "o.rejects.jsonl",
        run_id="r",
        render=render,  # type: ignore[arg-type]
    ) as writer:
        writer.write(sample(1))
        writer.write(sample(2, "rejected"))
    for name in ("o.jsonl", "o.rejects.jsonl"):
        (line,) = (tmp_path / name).read_text().splitlines()
        assert line.startswith(f'{{"schema": "{SAMPLE_SCHEMA}", "id": "id')
        record = json.loads(line)
        assert record["metadata"]["seed_skill"] in record["metadata"]["skills"]
    # The marker sits beside the format's own keys, which are unchanged.
    record = read_jsonl(tmp_path / "o.jsonl")[0]
    assert {k: v for k, v in record.items() if k != "schema"} == render(sample(1))  # type: ignore[operator]


def test_readers_take_a_missing_marker_as_v1_and_refuse_another_version(tmp_path: Path) -> None:
    old = render_messages(sample(1))  # written before the marker existed
    source = tmp_path / "s.jsonl"
    source.write_text(json.dumps(old) + "\n")
    assert read_samples(source) == [old]
    with SampleWriter(source, tmp_path / "r.jsonl", run_id="r", render=render_messages) as w:
        assert w.get("id1") is not None and w.write(sample(1)) == "duplicate"
    newer = {"schema": "steps-agents/sample@2", **render_messages(sample(2))}
    source.write_text(json.dumps(old) + "\n" + json.dumps(newer) + "\n")
    for read in (
        lambda: read_samples(source),
        lambda: export_samples(source, tmp_path / "e.jsonl"),
        lambda: export_tasks(source, tmp_path / "t.jsonl"),
        lambda: SampleWriter(source, tmp_path / "r.jsonl", run_id="r", render=render_messages),
    ):
        with pytest.raises(InputError, match=r"s\.jsonl:2: schema is 'steps-agents/sample@2',"):
            read()
    assert main(["synth", "export", str(source), "-o", str(tmp_path / "e.jsonl")]) == 2


def test_the_json_run_report_is_versioned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPS_FAKE_LATENCY", "0")
    tax = tmp_path / "t.json"
    random_taxonomy(24, height=2, seed=2).save(tax)
    argv = ["synth", "--taxonomy", str(tax), "-o", str(tmp_path / "o.jsonl"), "-n", "3"]
    argv += ["--model", "helpers_synthesis:slow_model", "--judges", "format", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'{{\n "schema": "{SYNTH_REPORT_SCHEMA}",')
    report = json.loads(out)
    assert report["accepted"] == 3
    rows = read_jsonl(tmp_path / "o.jsonl")
    assert [r["schema"] for r in rows] == [SAMPLE_SCHEMA] * 3
    assert all(r["metadata"]["versions"]["steps-agents"] for r in rows)
