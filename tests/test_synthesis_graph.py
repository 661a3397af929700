"""The synthesis graph's shape: the committed mermaid drawing, langgraph.json, routing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from steps_agents.graphs.synthesis import build_graph, graph, route_after_planner

ROOT = Path(__file__).resolve().parent.parent


def test_committed_mermaid_matches_the_compiled_graph() -> None:
    drawn = build_graph().compile().get_graph().draw_mermaid()
    committed = (ROOT / "graphs" / "synthesis.mmd").read_text(encoding="utf-8")
    assert committed == drawn, "regenerate graphs/synthesis.mmd from draw_mermaid()"


def test_the_reader_sees_planner_composer_generator_critic_writer() -> None:
    edges = {(e.source, e.target) for e in graph.get_graph().edges}
    for edge in [
        ("__start__", "planner"),
        ("planner", "composer"),
        ("composer", "generator"),
        ("generator", "critic"),
        ("critic", "generator"),
        ("critic", "writer"),
        ("writer", "planner"),
        ("planner", "__end__"),
        ("planner", "planner"),
        ("composer", "planner"),
    ]:
        assert edge in edges


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
    assert route_after_planner({"action": "compose"}) == ["composer", "planner"]
    assert route_after_planner({"action": "wait"}) == "__end__"
    assert route_after_planner({"action": "stop", "stop_reason": "target reached"}) == "__end__"
