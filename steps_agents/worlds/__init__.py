"""Executable skill worlds: typed tools, seeded states, tasks with an oracle and a checker.

The pieces, and who uses them:

- :class:`ToolSpec` -- one skill as a tool: name, domain, description, JSON-schema
  ``parameters``, typed ``ports``/``returns``/``fields`` for chaining (:class:`TypeRules`).
- :class:`SkillWorld` -- the protocol a world plugin implements (``tool_specs``, ``new_state``,
  ``execute``, ``compose``); looked up with :func:`steps_agents.registry.get_skill_world`.
- :class:`Task` -- id, k, skills, world, world_version, seed, initial_state, instruction, tools,
  oracle (:class:`OracleStep` list with ``{"$ref": "s1.field"}`` references), checker
  (:class:`Checker`: :class:`AnswerPart` and :class:`StateCheck` entries), provenance.
- :class:`TaskSession` -- what an agent drives: ``session.call(tool, args)`` runs a task tool
  sandboxed (:func:`sandboxed`) on a private copy of the state and records a :class:`TraceEntry`;
  ``session.check(answer)`` applies the checker.
- :func:`check` ``(task, answer, final_state) -> CheckOutcome``;
  :func:`run_oracle` ``(world, task) -> (answer, final_state, trace)``.
- :func:`load_tasks` / :func:`write_tasks` (JSONL, one-line errors naming ``file:line``) and
  :func:`to_skillbench` (the paper's SkillBench record).
- :mod:`~steps_agents.worlds.compose` builds a task for k tools;
  :mod:`~steps_agents.worlds.plan_check` names what makes a plan meaningless (a step that
  echoes its input, ignores it, is needless or unused, a value fed where its meaning does not
  fit, a by-product as the answer); :mod:`~steps_agents.worlds.goals` writes the goal
  instruction (what the user wants, no tool names, no step numbers, no intermediate values).

Example::

    from steps_agents.registry import get_skill_world
    from steps_agents.worlds import TaskSession, check, load_tasks, run_oracle

    task = load_tasks("tasks.jsonl")[0]
    world = get_skill_world(task.world)
    answer, state, trace = run_oracle(world, task)     # the reference solution
    assert check(task, answer, state).passed

    session = TaskSession(world, task)                 # what an agent drives
    result = session.call(task.oracle[0].tool, {...})  # ToolError on a bad call
    outcome = session.check("the agent's final answer")
"""

from steps_agents.worlds.checking import check, compare, parse_answer
from steps_agents.worlds.protocol import CompositionError, SkillWorld, try_compose, world_type_rules
from steps_agents.worlds.records import (
    AnswerPart,
    Checker,
    CheckOutcome,
    OracleStep,
    Rule,
    StateCheck,
    Task,
    TraceEntry,
    iter_refs,
    resolve_path,
    resolve_refs,
)
from steps_agents.worlds.sandbox import is_sandboxed, sandboxed
from steps_agents.worlds.session import TaskSession, execute_tool, oracle_answer, run_oracle
from steps_agents.worlds.spec import ToolError, ToolSpec, TypeRules, list_of, validate_args
from steps_agents.worlds.taskio import (
    iter_tasks,
    load_tasks,
    skillbench_answer_text,
    to_skillbench,
    write_tasks,
)

__all__ = [
    "AnswerPart",
    "CheckOutcome",
    "Checker",
    "CompositionError",
    "OracleStep",
    "Rule",
    "SkillWorld",
    "StateCheck",
    "Task",
    "TaskSession",
    "ToolError",
    "ToolSpec",
    "TraceEntry",
    "TypeRules",
    "check",
    "compare",
    "execute_tool",
    "is_sandboxed",
    "iter_refs",
    "iter_tasks",
    "list_of",
    "load_tasks",
    "oracle_answer",
    "parse_answer",
    "resolve_path",
    "resolve_refs",
    "run_oracle",
    "sandboxed",
    "skillbench_answer_text",
    "to_skillbench",
    "try_compose",
    "validate_args",
    "world_type_rules",
    "write_tasks",
]
