"""Small fixes of issue 10: plugin sources in steps.toml, the agentic task export's world."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps_agents.errors import UnknownComponentError
from steps_agents.registry import get_synthesis_mode
from steps_agents.runtime.config import has_scheme
from steps_agents.synthesis.config import build_config


def test_a_plugin_source_in_steps_toml_is_not_made_relative(tmp_path: Path) -> None:
    toml = tmp_path / "steps.toml"
    for corpus in ("otel:traces.json", "anthropic:traces.jsonl", "hf://datasets/x/y"):
        toml.write_text(f'[synth]\ncorpus = "{corpus}"\n', encoding="utf-8")
        assert build_config(toml).corpus == corpus
    toml.write_text('[synth]\ncorpus = "data/c.jsonl"\n', encoding="utf-8")
    assert build_config(toml).corpus == str(tmp_path / "data" / "c.jsonl")
    assert not has_scheme("C:\\data\\c.jsonl") and not has_scheme("c.jsonl")


def test_the_agentic_task_export_uses_the_world_it_is_given(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    record = {
        "schema": "steps-agents/sample@1",
        "id": "s1",
        "messages": [{"role": "user", "content": "Read the email m3."}],
        "metadata": {"mode": "agentic", "skills": ["inbox_read"], "k": 1},
    }
    samples.write_text(json.dumps(record) + "\n", encoding="utf-8")
    mode = get_synthesis_mode("agentic")
    # Before the fix the method had no `world` and always rebuilt tasks in toolworld.
    with pytest.raises(UnknownComponentError, match="'bank'"):
        mode.export_tasks(samples, tmp_path / "tasks.jsonl", world="bank")
