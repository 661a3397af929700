"""A small quickstart run (3 tasks per k, k = 1..4) shared by the report tests of one module."""

from __future__ import annotations

from pathlib import Path

import pytest


def run_small_quickstart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from steps_agents.graphs.quickstart import run_quickstart

    out = tmp_path_factory.mktemp("qs") / "out"
    run_quickstart(out, per_k=3, k=(1, 4), quiet=True)
    return out
