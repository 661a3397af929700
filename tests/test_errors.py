"""Errors inherit the matching builtin and read as one line with a location."""

from __future__ import annotations

from steps_agents.errors import InputError, MissingExtraError, StepsError, UnknownComponentError


def test_input_error_prefixes_location() -> None:
    err = InputError("invalid JSON", location="corpus.jsonl:12")
    assert str(err) == "corpus.jsonl:12: invalid JSON"
    assert isinstance(err, ValueError) and isinstance(err, StepsError)
    assert err.exit_code == 2


def test_unknown_component_reads_as_a_sentence() -> None:
    err = UnknownComponentError("weighting", "pmi", ["steps", "count", "ppmi"])
    assert str(err) == "unknown weighting 'pmi'; available: count, ppmi, steps"


def test_missing_extra_names_the_extra() -> None:
    err = MissingExtraError("--base-url", "openai", "langchain-openai")
    assert isinstance(err, ImportError)
    assert "pip install 'steps-agents[openai]'" in str(err)
