"""graphs/ and plugins/ ship inside the wheel as steps_agents.graphs and steps_agents.plugins."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest
from helpers_install import REPO, build_wheel, make_venv, pip_install

from steps_agents.plugin_manager import BUILTIN_PLUGINS

MAPPED = {
    "steps_agents": "steps_agents",
    "graphs": "steps_agents.graphs",
    "plugins": "steps_agents.plugins",
}


def _packages_in_tree() -> set[str]:
    found = set()
    for top, dotted in MAPPED.items():
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / top)
            parts = [p for p in rel.parts if p]
            if any(p.startswith(".") or p == "__pycache__" for p in parts):
                continue
            found.add(".".join([dotted, *parts]))
    return found


def test_pyproject_lists_every_package() -> None:
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    assert listed == _packages_in_tree()


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_has_graphs_and_plugins(tmp_path: Path) -> None:
    wheel = build_wheel(REPO, tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("steps_agents/graphs/") for n in names)
    assert any(n.startswith("steps_agents/plugins/") for n in names)

    bin_dir = make_venv(tmp_path / "venv")
    pip_install(bin_dir, str(wheel))
    env = {**os.environ, "STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD": "1"}
    out = subprocess.run(
        [str(bin_dir / "steps"), "plugins", "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    listed = {row["name"] for row in json.loads(out.stdout)}
    assert set(BUILTIN_PLUGINS) <= listed
    where = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import steps_agents.graphs, steps_agents.plugins as p; print(p.__file__)",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert str(tmp_path / "venv") in where  # imported from the wheel, not from this checkout
