"""One k grammar for `steps select`, `steps synth` and `steps quickstart`; one apportion routine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from steps_agents.cli import build_parser, main
from steps_agents.cli.synth import config_from_args
from steps_agents.selection.curriculum import apportion, parse_k
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.config import parse_ks
from steps_agents.synthesis.planner import _largest_remainder

FORMS = {"2-5": [2, 3, 4, 5], "2,3,5": [2, 3, 5], "3": [3], "2-3,5": [2, 3, 5], "5,2": [2, 5]}
BAD = "cannot read '2-x'; use a range like 2-7 or a list like 2,3,5"


def synth_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["synth", *argv])


@pytest.mark.parametrize(("text", "ks"), FORMS.items())
def test_select_and_synth_read_the_same_k_values(text: str, ks: list[int]) -> None:
    assert sorted(parse_k(text)) == ks  # steps select
    assert parse_ks(text) == ks
    assert config_from_args(synth_args("--k", text)).ks == ks  # steps synth


def test_select_writes_combinations_of_every_listed_k(tmp_path: Path) -> None:
    random_taxonomy(120, height=3, seed=5).save(tmp_path / "tax.json")
    argv = ["select", "--taxonomy", str(tmp_path / "tax.json"), "-n", "30", "--k", "2-3,5"]
    assert main([*argv, "-o", str(tmp_path / "c.jsonl")]) == 0
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    assert {json.loads(line)["k"] for line in lines} == {2, 3, 5}


def test_a_bad_k_is_one_line_in_every_subcommand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    random_taxonomy(40, height=2, seed=1).save(tmp_path / "tax.json")
    commands = [
        ["select", "--taxonomy", str(tmp_path / "tax.json"), "-n", "3", "-o", str(tmp_path / "c")],
        ["synth", "--taxonomy", str(tmp_path / "tax.json"), "-o", str(tmp_path / "s.jsonl")],
        ["quickstart", "-o", str(tmp_path / "qs")],
    ]
    for argv in commands:
        assert main([*argv, "--k", "2-x"]) == 2
        assert capsys.readouterr().err == f"error: --k: {BAD}\n", argv[0]
    assert not (tmp_path / "qs" / "taxonomy.json").exists()  # refused before any work


def test_one_apportion_routine_for_selection_and_synthesis() -> None:
    # Largest remainders: exact floors, then one more each for the largest remainders; a tie
    # goes to the earlier k.
    assert apportion(10, [46, 33, 21]) == [5, 3, 2]
    assert apportion(7, [1, 1, 1]) == [3, 2, 2]
    shares = {2: 46.0, 3: 33.0, 5: 21.0}
    assert _largest_remainder(shares, 10) == {2: 5, 3: 3, 5: 2}
    assert _largest_remainder({2: 1.0, 3: 1.0, 4: 1.0}, 7) == {2: 3, 3: 2, 4: 2}
    assert _largest_remainder(shares, 0) == {2: 0, 3: 0, 5: 0}
    assert _largest_remainder({2: 0.0, 3: 0.0}, 5) == {2: 0, 3: 0}  # nothing to share
