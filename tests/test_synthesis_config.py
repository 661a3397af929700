"""The synthesis job config: TOML loading, flag overrides, one-line errors naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from steps_agents.errors import InputError
from steps_agents.synthesis.config import SynthConfig, build_config, format_ks, parse_ks


def test_toml_then_flags_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "steps.toml").write_text(
        '[synth]\nn = 50\nk = "3-5"\njudges = ["format", "rubric"]\noutput = "data/out.jsonl"\n'
        "[synth.judge_options.rubric]\nmin_score = 7\n"
    )
    config = build_config(tmp_path / "steps.toml", {"n": 7, "model": None})
    assert config.n == 7 and config.k == "3-5" and config.ks == [3, 4, 5]
    assert config.judges == ("format", "rubric")
    assert config.judge_options == {"rubric": {"min_score": 7}}
    assert config.output == tmp_path / "data" / "out.jsonl"
    assert config.rejects_path == tmp_path / "data" / "out.rejects.jsonl"
    assert config.resolved_state_dir == tmp_path / "data" / "out.jsonl.state"
    assert config.effective_wave_size == 8  # the default concurrency 8


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[synth]\nn = 0\n", r"steps.toml: synth.n: Input should be greater than or equal to 1"),
        ('[synth]\nk = "7-2"\n', r"steps.toml: synth.k: cannot read '7-2'; use a range like 2-7"),
        ("[synth]\ncolour = 1\n", r"steps.toml: synth.colour: Extra inputs are not permitted"),
        ("[synth]\nn = \n", r"steps.toml: not valid TOML"),
        (
            '[synth]\nk = "2-3"\nk_weights = {9 = 1.0}\n',
            r"steps.toml: .*k_weights keys must lie in 2-3",
        ),
    ],
)
def test_bad_config_fields_give_one_line_errors(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "steps.toml").write_text(toml)
    with pytest.raises(InputError, match=message) as info:
        build_config(tmp_path / "steps.toml")
    assert "\n" not in str(info.value)


def test_bad_flags_name_the_flag() -> None:
    with pytest.raises(InputError, match=r"^--max-revisions: Input should be greater"):
        build_config(None, {"max_revisions": -1})
    with pytest.raises(InputError, match=r"^--k: cannot read 'x'; use a range like 2-7"):
        build_config(None, {"k": "x"})


def test_k_values() -> None:
    assert parse_ks("2-7") == [2, 3, 4, 5, 6, 7]
    assert parse_ks("5,2,3") == [2, 3, 5] and parse_ks("2-3,5") == [2, 3, 5]
    assert parse_ks(4) == [4]
    assert parse_ks([3, 5]) == [3, 4, 5]  # [LO, HI], the list form of older steps.toml files
    assert format_ks([2, 3, 4, 6]) == "2-4,6" and format_ks([5]) == "5"
    for bad in ("0-3", "2,2", "x", [1, 2, 3], True):
        with pytest.raises(ValueError):
            parse_ks(bad)
    # Stored in the canonical grammar, so a config round-trips unchanged.
    config = SynthConfig(k="5,2,3", k_weights={2: 1.0, 5: 3.0})
    assert config.k == "2-3,5" and SynthConfig.model_validate(config.model_dump()) == config
    with pytest.raises(ValueError, match="k_weights keys must lie in 2-3,5"):
        SynthConfig(k="2,3,5", k_weights={4: 1.0})


def test_an_unreadable_config_file_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "latin1.toml").write_bytes(b'[synth]\nlanguage = "fran\xe7ais"\n')
    cases = {
        "adir": "is a directory, expected a TOML file",
        "latin1.toml": "not valid UTF-8 (byte offset 24); save the file as UTF-8",
        "nope.toml": "no such config file",
    }
    for name, message in cases.items():
        with pytest.raises(InputError) as info:
            build_config(tmp_path / name)
        assert str(info.value) == f"{tmp_path / name}: {message}"
    # Any other OSError (a FIFO would block; a name too long is portable) is named too.
    with pytest.raises(InputError, match=r"cannot read \(File name too long\)"):
        build_config(tmp_path / ("x" * 300 + ".toml"))


def test_wave_size_help_states_the_real_default() -> None:
    import argparse

    from steps_agents.cli import synth as synth_cli

    parser = argparse.ArgumentParser()
    synth_cli.add_parser(parser.add_subparsers())
    sub = parser._subparsers._group_actions[0].choices["synth"]  # type: ignore[union-attr]
    action = next(a for a in sub._actions if "--wave-size" in a.option_strings)
    assert "max(8, --concurrency)" in str(action.help)
    assert SynthConfig(concurrency=20).effective_wave_size == 20
    assert SynthConfig(concurrency=2).effective_wave_size == 8
