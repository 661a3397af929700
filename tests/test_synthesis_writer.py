"""The writer: append-only, idempotent by sample id, torn lines repaired, runs not mixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from steps_agents.plugins.formats import render_messages

from steps_agents.errors import InputError
from steps_agents.synthesis.records import Provenance, Sample
from steps_agents.synthesis.store import SampleWriter


def sample(i: int, status: str = "accepted", run_id: str = "r") -> Sample:
    return Sample(
        id=f"id{i}",
        status=status,  # type: ignore[arg-type]
        messages=({"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}),
        provenance=Provenance(
            run_id=run_id, mode="instruct", skills=(f"s{i}", "t"), k=2, gain=1.5, selector="steps"
        ),
        reason="" if status == "accepted" else "language: written in fr, expected en",
        reason_tag="" if status == "accepted" else "language",
    )


def open_writer(tmp_path: Path, run_id: str = "r", **kw: object) -> SampleWriter:
    return SampleWriter(
        tmp_path / "o.jsonl",
        tmp_path / "o.rejects.jsonl",
        run_id=run_id,
        render=render_messages,
        **kw,
    )  # type: ignore[arg-type]


def test_writes_are_idempotent_across_reopen_and_count_from_disk(tmp_path: Path) -> None:
    with open_writer(tmp_path) as w:
        assert w.write(sample(1)) == "written"
        assert w.write(sample(1)) == "duplicate"
        assert w.write(sample(2, "rejected")) == "written"
    with open_writer(tmp_path) as w:
        assert w.write(sample(1)) == "duplicate" and w.write(sample(2, "rejected")) == "duplicate"
        assert w.accepted == 1 and w.count("rejected") == 1
        assert w.stats()["by_k"] == {"2": {"accepted": 1, "rejected": 1}}
        assert w.stats()["reasons"] == {"language": 1}
        assert w.used_skill_sets() == [["s1", "t"], ["s2", "t"]]
        assert w.accepted_texts == [("id1", "q1")]
    lines = (tmp_path / "o.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["id1"]
    reject = json.loads((tmp_path / "o.rejects.jsonl").read_text())
    assert reject["reason"].startswith("language:") and reject["metadata"]["k"] == 2


def test_surplus_beyond_the_target_is_not_written(tmp_path: Path) -> None:
    with open_writer(tmp_path) as w:
        assert [w.write(sample(i), max_accepted=2) for i in range(4)] == [
            "written",
            "written",
            "surplus",
            "surplus",
        ]
        assert w.write(sample(9, "rejected"), max_accepted=2) == "written"
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2


def test_a_torn_last_line_is_cut_off_on_open(tmp_path: Path) -> None:
    with open_writer(tmp_path) as w:
        w.write(sample(1))
    with (tmp_path / "o.jsonl").open("ab") as handle:
        handle.write(b'{"id": "id2", "messa')  # a kill in the middle of a write
    with open_writer(tmp_path) as w:
        assert w.get("id2") is None and w.accepted == 1
        assert w.write(sample(2)) == "written"
    assert [json.loads(x)["id"] for x in (tmp_path / "o.jsonl").read_text().splitlines()] == [
        "id1",
        "id2",
    ]


def test_another_runs_output_is_refused_unless_overwritten(tmp_path: Path) -> None:
    with open_writer(tmp_path, run_id="first") as w:
        w.write(sample(1, run_id="first"))
    with pytest.raises(InputError, match=r"o.jsonl:1: holds samples of run 'first'; resume it"):
        open_writer(tmp_path, run_id="second")
    old = (tmp_path / "o.jsonl").read_text()
    with open_writer(tmp_path, run_id="second", overwrite=True) as w:
        assert w.accepted == 0
    # Nothing written: the overwrite never happened, the old samples are still there.
    assert (tmp_path / "o.jsonl").read_text() == old
    assert sorted(p.name for p in tmp_path.iterdir() if "overwrite-tmp" in p.name) == []
    with open_writer(tmp_path, run_id="second", overwrite=True) as w:
        w.write(sample(2, run_id="second"))
        assert '"id2"' in (tmp_path / "o.jsonl").read_text()  # replaced at the first write
        w.write(sample(3, run_id="second"))
    lines = (tmp_path / "o.jsonl").read_text().splitlines()
    assert ['"second"' in line for line in lines] == [True, True]


def test_a_corrupt_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "o.jsonl").write_text('{"id": "a"}\nnot json\n')
    with pytest.raises(InputError, match=r"o.jsonl:2: not a JSON line"):
        open_writer(tmp_path)
