"""The synthesis graph's shape: the committed mermaid drawing, langgraph.json, routing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from steps_agents.graphs.synthesis import build_graph, graph

from steps_agents.synthesis import pipeline
from steps_agents.synthesis.pipeline import route_after_slice

ROOT = Path(__file__).resolve().parent.parent


def test_committed_mermaid_matches_the_compiled_graph() -> None:
    drawn = build_graph().compile().get_graph().draw_mermaid()
    committed = (ROOT / "graphs" / "synthesis.mmd").read_text(encoding="utf-8")
    assert committed == drawn, "regenerate graphs/synthesis.mmd from draw_mermaid()"


def test_one_node_runs_time_slices_until_the_run_stops() -> None:
    edges = {(e.source, e.target) for e in graph.get_graph().edges}
    assert edges == {
        ("__start__", "pipeline"),
        ("pipeline", "pipeline"),
        ("pipeline", "__end__"),
    }


def test_the_slice_calls_the_five_agents() -> None:
    """The agents stay named functions that the pipeline node calls."""
    for agent in ("planner", "composer", "generator", "critic", "commit"):
        assert callable(getattr(pipeline, agent))


def test_langgraph_json_names_graphs_that_load_by_path() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    assert "synthesis" in config["graphs"]
    for name, target in config["graphs"].items():
        path, _, attribute = target.partition(":")
        spec = importlib.util.spec_from_file_location(f"lg_{name}", ROOT / path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # as the LangGraph CLI does; type hints resolve here
        try:
            spec.loader.exec_module(module)
        finally:
            del sys.modules[spec.name]
        loaded = getattr(module, attribute)
        assert loaded.get_graph().nodes, f"{name} has no nodes"


def test_routing() -> None:
    assert route_after_slice({"action": "compose", "queue": []}) == "pipeline"
    assert route_after_slice({"action": "wait", "queue": [{"wave": 1, "items": []}]}) == "pipeline"
    stopped_with_queue = {"action": "stop", "queue": [{"wave": 1, "items": []}]}
    assert route_after_slice(stopped_with_queue) == "pipeline"  # its started items are committed
    assert route_after_slice({"action": "stop", "stop_reason": "target reached"}) == "__end__"
