"""ModelOptions: one set of model settings, validated in one place, one error line per problem."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from pydantic import ValidationError

from steps_agents.errors import InputError
from steps_agents.models import (
    ModelOptions,
    add_model_arguments,
    model_options_from_args,
    open_model,
)
from steps_agents.synthesis.config import SynthConfig, build_config


def test_defaults_are_the_documented_ones() -> None:
    options = ModelOptions()
    assert options.model_dump() == {
        "base_url": None,
        "api_key_env": None,
        "temperature": None,
        "concurrency": 8,
        "max_retries": 4,
        "timeout": 120.0,
        "backoff": 0.5,
        "structured": "auto",
        "cache": True,
        "executor": "local",
        "ray_address": None,
        "workers": None,
    }
    with pytest.raises(ValidationError):
        options.concurrency = 2  # type: ignore[misc]  # frozen: shared by several clients


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": 0}, "timeout"),
        ({"temperature": 2.5}, "temperature"),
        ({"backoff": -1}, "backoff"),
        ({"structured": "xml"}, "structured"),
        ({"api_key_env": "sk-pasted-key"}, "api_key_env"),
        ({"tempreature": 0.5}, "tempreature"),
    ],
)
def test_each_bad_value_is_rejected_naming_its_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        ModelOptions(**values)  # type: ignore[arg-type]
    assert [e["loc"] for e in info.value.errors()] == [(field,)]


def test_a_pasted_key_is_never_echoed() -> None:
    with pytest.raises(ValidationError) as info:
        ModelOptions(api_key_env="sk-secret-123")
    assert info.value.errors()[0]["msg"].endswith("not a key")
    with pytest.raises(InputError) as flag:
        parse(["--api-key-env", "sk-secret-123"])
    assert "sk-secret-123" not in str(flag.value)


def parse(argv: list[str], **kw: object) -> ModelOptions:
    parser = argparse.ArgumentParser()
    add_model_arguments(parser, **kw)  # type: ignore[arg-type]
    return model_options_from_args(parser.parse_args(argv))


def test_flags_left_out_keep_the_defaults_and_given_ones_win() -> None:
    assert parse([]) == ModelOptions()
    options = parse(
        ["--temperature", "0", "--max-retries", "0", "--no-cache", "--structured", "json"]
    )
    assert options == ModelOptions(temperature=0.0, max_retries=0, cache=False, structured="json")


def test_a_renamed_flag_is_named_in_its_error() -> None:
    rename = {"timeout": "--model-timeout"}
    assert parse(["--model-timeout", "5"], rename=rename, spec_flag=False).timeout == 5.0
    with pytest.raises(InputError) as info:
        parse(["--model-timeout", "0"], rename=rename, spec_flag=False)
    assert str(info.value) == "--model-timeout: Input should be greater than 0"
    assert "\n" not in str(info.value)


def test_synth_config_keeps_flat_keys_and_gives_its_model_options(tmp_path: Path) -> None:
    toml = tmp_path / "steps.toml"
    toml.write_text("[synth]\nbase_url = 'http://127.0.0.1:1'\nmax_retries = 1\nbackoff = 0.0\n")
    config = build_config(toml)
    assert config.model_options() == ModelOptions(
        base_url="http://127.0.0.1:1", max_retries=1, backoff=0.0, temperature=0.7
    )
    assert type(config.model_options()) is ModelOptions and SynthConfig().temperature == 0.7
    toml.write_text("[synth]\nconcurrency = 0\n")
    with pytest.raises(InputError) as info:
        build_config(toml)
    assert (
        str(info.value) == f"{toml}: synth.concurrency: Input should be greater than or equal to 1"
    )


def test_open_model_reads_the_key_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEPS_TEST_NO_SUCH_KEY", raising=False)
    with pytest.raises(InputError, match="STEPS_TEST_NO_SUCH_KEY is not set"):
        open_model("fake:echo", ModelOptions(api_key_env="STEPS_TEST_NO_SUCH_KEY"))
    monkeypatch.setenv("STEPS_TEST_NO_SUCH_KEY", "sk-x")
    with open_model("fake:echo", ModelOptions(api_key_env="STEPS_TEST_NO_SUCH_KEY")) as client:
        assert client.options.api_key_env == "STEPS_TEST_NO_SUCH_KEY"
        assert "sk-x" not in repr(client.options) and client.cache is None


def test_a_renamed_flag_leaves_the_subcommands_own_flag_alone() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float)  # steps eval: seconds per episode
    add_model_arguments(parser, spec_flag=False, rename={"timeout": "--model-timeout"})
    args = parser.parse_args(["--timeout", "300", "--model-timeout", "5"])
    assert args.timeout == 300.0 and model_options_from_args(args).timeout == 5.0
