"""``steps report``: inputs recognised by marker, a self-contained page, figures as files."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from helpers_reporting import run_small_quickstart

from steps_agents.cli import main
from steps_agents.errors import InputError
from steps_agents.evaluation.report import load_report
from steps_agents.reporting import build_sections, charts_of, load_inputs, render_html
from steps_agents.reporting.charts import BarChart, Series, XYChart, log_ticks, nice_ticks, svg
from steps_agents.reporting.evaluation_section import named_agents


@pytest.fixture(scope="module")
def qs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_small_quickstart(tmp_path_factory)


def test_quickstart_directory_is_read_by_marker(qs: Path) -> None:
    inputs = load_inputs([qs])
    assert inputs.taxonomy is not None and inputs.eval_reports
    assert "report" in inputs.eval_names  # report.json, named by its file stem
    assert inputs.corpus_stats is not None  # the quickstart's corpus-stats.json
    assert {m["k"] for m in inputs.samples} == {1, 2, 3, 4}
    used = {Path(p).name for p in inputs.used}
    assert used >= {"taxonomy.json", "report.json", "samples.jsonl", "corpus-stats.json"}
    assert "tasks.jsonl" in {Path(p).name for p in inputs.unused}


def test_page_is_self_contained(qs: Path) -> None:
    page = (qs / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no external scripts, styles, images, fonts or links.
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"\b(src|href)=\"(?!#)", page)
    assert "url(" not in page and "@import" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert "default-src 'none'" in page  # the CSP forbids any request the page might try


def test_k_curve_has_one_point_per_k_and_agent(qs: Path) -> None:
    page = (qs / "report.html").read_text()
    curve = re.search(r'<svg[^>]*id="k-curve".*?</svg>', page, re.S)
    assert curve is not None
    points = re.findall(r'class="point" data-series="([^"]+)" data-x="([^"]+)"', curve.group(0))
    inputs = load_inputs([qs])
    agents = named_agents(inputs.eval_reports, inputs.eval_names)
    expected = [(html.escape(name), str(r.k)) for name, s, _ in agents for r in s.per_k]
    assert sorted(points) == sorted(expected) and len(set(points)) == len(points)
    assert {k for _, k in points} == {"1", "2", "3", "4"}


def test_every_section_and_the_gap_are_on_the_page(qs: Path) -> None:
    page = (qs / "report.html").read_text()
    for anchor in ("taxonomy", "corpus", "selection", "synthesis", "evaluation"):
        assert f'<section id="{anchor}">' in page
    report = load_report(qs / "report.json")
    gap = report.agents[0].gap
    assert gap is not None and "<h4>Compositional gap</h4>" in page
    if gap.estimable:
        assert "Observed pass rate against the independence prediction" in page
    else:  # a few k = 1 tasks: most k >= 2 tasks hold a skill never measured alone
        assert f"Not estimable: only {gap.measured_tasks} of {gap.k2_tasks} k &gt;= 2" in page
    assert page.count('data-skill="') == len(load_inputs([qs]).taxonomy.skills)  # type: ignore[union-attr]
    # The corpus summary gives skills, pairs and whole sets, each with its fitted line.
    long_tail = re.search(r'<svg[^>]*id="long-tail".*?</svg>', page, re.S)
    assert long_tail is not None
    series = set(re.findall(r'data-series="([^"]+)"', long_tail.group(0)))
    assert series == {"skills", "pairs", "whole sets"}
    assert "No corpus summary" not in page


def test_without_a_corpus_summary_the_page_says_so(qs: Path, tmp_path: Path) -> None:
    page = render_html(load_inputs([qs / "taxonomy.json"]))
    assert "No corpus summary among the inputs" in page
    assert "No evaluation report among the inputs" in page


def test_combinations_and_synth_report_inputs(qs: Path, tmp_path: Path) -> None:
    combos = tmp_path / "c.jsonl"
    assert (
        main(
            [
                "select",
                "--taxonomy",
                str(qs / "taxonomy.json"),
                "-n",
                "12",
                "--k",
                "2-4",
                "-o",
                str(combos),
                "--no-progress",
            ]
        )
        == 0
    )
    synth = tmp_path / "synth.json"
    synth.write_text(
        json.dumps(
            {
                "schema": "steps-agents/synth-report@1",
                "run_id": "r1",
                "target": 3,
                "accepted": 3,
                "rejected": 2,
                "uncomposable": 0,
                "acceptance_rate": 0.6,
                "by_k": {"2": {"accepted": 3}},
                "rejection_reasons": {"coverage": 2},
                "revisions": 4,
                "waves": 1,
                "stop_reason": "target reached",
                "usage": {},
                "budget": None,
                "elapsed_s": 1.0,
                "output": "s.jsonl",
                "rejects": "s.rejects.jsonl",
            }
        )
    )
    inputs = load_inputs([combos, synth, qs / "taxonomy.json"])
    assert len(inputs.combinations) == 12 and len(inputs.synth_reports) == 1
    sections = {s.id: s for s in build_sections(inputs)}
    assert "12 combinations from the combinations file" in sections["selection"].body
    assert (
        "coverage 2" in sections["synthesis"].body
        and "target reached" in sections["synthesis"].body
    )
    ks = next(c for c in sections["selection"].charts if c.id == "sel-k")
    assert isinstance(ks, BarChart) and sum(ks.values[0]) == 12


def test_unknown_and_missing_inputs_are_one_line_errors(tmp_path: Path) -> None:
    odd = tmp_path / "notes.json"
    odd.write_text('{"hello": 1}')
    with pytest.raises(InputError, match=r"notes\.json: not a file steps report reads"):
        load_inputs([odd])
    with pytest.raises(InputError, match="no such file or directory"):
        load_inputs([tmp_path / "missing"])
    with pytest.raises(InputError, match="nothing to report"):
        load_inputs([tmp_path])
    newer = tmp_path / "t.json"
    newer.write_text('{"schema": "steps-agents/taxonomy@9", "nodes": []}')
    with pytest.raises(InputError, match="upgrade steps-agents"):
        load_inputs([newer])


def test_cli_writes_page_and_figures(
    qs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    figs = tmp_path / "figs"
    assert main(["report", str(qs), "-o", str(out), "--figures", str(figs)]) == 0
    assert "report: " in capsys.readouterr().out and out.read_text().startswith("<!DOCTYPE")
    names = sorted(p.name for p in figs.iterdir())
    assert "k-curve.svg" in names and "long-tail.svg" in names
    gap = load_report(qs / "report.json").agents[0].gap
    assert gap is not None and ("gap-curve.svg" in names) == gap.estimable
    assert (figs / "k-curve.svg").read_text().startswith('<?xml version="1.0"')
    charts = charts_of(build_sections(load_inputs([qs])))
    assert len(names) == len(charts)


def test_png_figures(qs: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="PNG figures need the plot extra (matplotlib)")
    assert (
        main(
            [
                "report",
                str(qs),
                "-o",
                str(tmp_path / "r.html"),
                "--figures",
                str(tmp_path / "f"),
                "--format",
                "png",
            ]
        )
        == 0
    )
    png = (tmp_path / "f" / "k-curve.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_ticks_and_empty_charts() -> None:
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert log_ticks(3.0, 2000.0) == [10.0, 100.0, 1000.0]
    assert log_ticks(1.0, 30.0) == [1.0, 2.0, 5.0, 10.0, 20.0]
    empty = svg(XYChart("e", "empty", "x", "y", [Series("s", [])]))
    assert "no data" in empty and empty.startswith("<svg")
    bars = svg(BarChart("b", "t", "x", "y", ["a<b"], ["n"], [[2.0]]))
    assert "a&lt;b" in bars and 'data-x="a&lt;b"' in bars


def test_a_taxonomy_from_elsewhere_is_warned_about(
    qs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README:200 mixed the example corpus's taxonomy with a toolworld evaluation silently."""
    assert load_inputs([qs]).warnings == []  # the quickstart's own taxonomy holds its skills
    data = json.loads((qs / "report.json").read_text())
    for agent in data["agents"]:
        for row in agent["per_skill"]:
            row["skill"] = "other_" + row["skill"]
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    inputs = load_inputs([qs / "taxonomy.json", other])
    (warning,) = inputs.warnings
    n = len(data["agents"][0]["per_skill"])
    assert warning.startswith(f"{n} of the {n} skills of the evaluation report other are not in")
    assert (
        main(["report", str(qs / "taxonomy.json"), str(other), "-o", str(tmp_path / "r.html")]) == 0
    )
    assert f"warning: {warning}" in capsys.readouterr().err
    assert 'class="warning"' in (tmp_path / "r.html").read_text()
