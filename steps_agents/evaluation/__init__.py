"""Evaluation of agents on k-skill tasks: agents, episodes, scores and the report.

The evaluator state machine itself is ``steps_agents.graphs.evaluation`` (``graphs/evaluation.py``
in the repository); :func:`evaluate` here is the convenience entry point that builds its
context, runs it (resumable by run id) and returns the report.
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
from steps_agents.evaluation.records import EpisodeResult, ToolCallRecord
from steps_agents.evaluation.report import EvalReport, build_report, to_markdown, write_report
from steps_agents.evaluation.run import evaluate, run_id_for
from steps_agents.evaluation.texttasks import TextTask, load_eval_tasks

__all__ = [
    "Agent",
    "AgentInput",
    "AgentOptions",
    "AgentOutput",
    "EpisodeResult",
    "EvalReport",
    "GraphAgent",
    "StepLimitExceeded",
    "TextTask",
    "ToolCallRecord",
    "ToolLoopAgent",
    "build_report",
    "evaluate",
    "load_eval_tasks",
    "resolve_agent",
    "run_id_for",
    "to_markdown",
    "write_report",
]
