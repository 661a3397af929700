"""The example third-party plugin under examples/ installs and works end to end."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers_install import REPO, build_wheel, make_venv, pip_install

PLUGIN_DIR = REPO / "examples" / "steps-agents-csv"


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugin-venv")
    bin_dir = make_venv(root / "venv")
    pip_install(bin_dir, str(build_wheel(REPO, root / "dist")))
    pip_install(bin_dir, str(PLUGIN_DIR))
    return bin_dir


def _steps(
    bin_dir: Path, *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STEPS_AGENTS_NO_PROGRESS": "1"}
    env.pop("STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD", None)
    env.update(env_extra or {})
    return subprocess.run([str(bin_dir / "steps"), *args], capture_output=True, text=True, env=env)


@pytest.mark.slow
def test_plugin_is_listed_with_its_hooks_and_names(plugin_venv: Path) -> None:
    out = _steps(plugin_venv, "plugins", "--json")
    assert out.returncode == 0, out.stderr
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    assert "csv" in rows
    assert rows["csv"]["version"] == "0.1.0"
    assert rows["csv"]["hooks"] == ["open_corpus_source", "register_skill_extractors"]
    assert rows["csv"]["provides"] == {"extractor": ["hashtags"]}


@pytest.mark.slow
def test_autoload_can_be_switched_off(plugin_venv: Path) -> None:
    out = _steps(
        plugin_venv, "plugins", "--json", env_extra={"STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD": "1"}
    )
    assert out.returncode == 0, out.stderr
    assert "csv" not in {row["name"] for row in json.loads(out.stdout)}


@pytest.mark.slow
def test_plugin_source_and_extractor_build_a_taxonomy(plugin_venv: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "tax.json"
    run = _steps(
        plugin_venv,
        "taxonomy",
        "build",
        str(PLUGIN_DIR / "notes.csv"),
        "--extractor",
        "hashtags",
        "--height",
        "2",
        "-o",
        str(out_file),
    )
    assert run.returncode == 0, run.stderr
    taxonomy = json.loads(out_file.read_text())
    skills = {node["skill"] for node in taxonomy["nodes"] if "skill" in node}
    assert {"python", "pandas", "writing", "email", "math", "algebra"} <= skills
    assert taxonomy["structural_entropy"] < taxonomy["one_dim_entropy"]
