"""Shared test fixtures. Progress lines are silenced so test output stays readable."""

from __future__ import annotations

import os

os.environ.setdefault("STEPS_AGENTS_NO_PROGRESS", "1")

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/helpers_*.py are plain modules the tests import.
sys.path.insert(0, str(Path(__file__).parent))

from realmodel_server import RealModelServer, missing_extra, serve  # noqa: E402


@pytest.fixture(scope="session")
def realmodel_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealModelServer]:
    """llama-cpp-python serving SmolLM2-135M on 127.0.0.1 for the ``realmodel`` tests
    (tests/realmodel_server.py); skipped, with the reason, where the ``local`` extra is absent."""
    reason = missing_extra()
    if reason is not None:
        pytest.skip(reason)
    with serve(tmp_path_factory.mktemp("realmodel")) as server:
        yield server


@pytest.fixture(scope="session")
def toolworld_taxonomy() -> object:
    """The taxonomy of the bundled toolworld's corpus (the quickstart's: height 3, seed 0)."""
    from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_skill_world
    from steps_agents.taxonomy.builder import build_taxonomy

    pm = default_plugin_manager()
    corpus = str(get_skill_world("toolworld", pm).corpus)
    counts = count_corpus(corpus, "tool_calls", progress=False, pm=pm)
    graph = build_skill_graph(counts, weighting="steps", source=corpus)
    return build_taxonomy(graph, height=3, seed=0, params={"extractor": "tool_calls"})
