"""Evaluation of agents on k-skill tasks: agents, episodes, scores and the report.

This package holds the evaluator's parts: agents, episodes, the nodes with their state schema
and runtime context, scoring and the report. The graph that wires the nodes, and the entry
point ``evaluate`` that runs it (resumable by run id), are in ``steps_agents.graphs.evaluation``
(``graphs/evaluation.py`` in the repository): stage packages never import the graphs.
"""

from steps_agents.evaluation.agents import (
    Agent,
    AgentInput,
    AgentOptions,
    AgentOutput,
    GraphAgent,
    StepLimitExceeded,
    ToolLoopAgent,
    resolve_agent,
)
from steps_agents.evaluation.config import EvalConfig, build_eval_config
from steps_agents.evaluation.records import EpisodeResult, ToolCallRecord
from steps_agents.evaluation.report import EvalReport, build_report, to_markdown, write_report
from steps_agents.evaluation.store import run_id_for
from steps_agents.evaluation.texttasks import TextTask, load_eval_tasks

__all__ = [
    "Agent",
    "AgentInput",
    "AgentOptions",
    "AgentOutput",
    "EpisodeResult",
    "EvalConfig",
    "EvalReport",
    "GraphAgent",
    "StepLimitExceeded",
    "TextTask",
    "ToolCallRecord",
    "ToolLoopAgent",
    "build_eval_config",
    "build_report",
    "load_eval_tasks",
    "resolve_agent",
    "run_id_for",
    "to_markdown",
    "write_report",
]
