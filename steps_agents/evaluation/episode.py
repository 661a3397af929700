"""One episode: build the task's state, run the agent with its tools, check, score.

The four stages are plain functions so that the evaluator graph (``graphs/evaluation.py``) can
make each one a node and tests can call them directly. Whatever the agent does -- raise, hang,
run past the step limit -- ends as an :class:`EpisodeResult` with the reason; only
``BaseException`` s that are not ``Exception`` (KeyboardInterrupt, cancellation) stop the run.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from langgraph.errors import GraphRecursionError

from steps_agents.evaluation.agents import (
    Agent,
    AgentInput,
    AgentOutput,
    StepLimitExceeded,
    to_text,
)
from steps_agents.evaluation.records import EpisodeResult, Failure, ToolCallRecord
from steps_agents.evaluation.scoring import skill_coverage
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.worlds import Task, TaskSession, check, resolve_refs, run_oracle

ANSWER_CHARS = 2000


@dataclass
class EpisodeEnv:
    """The live state of one agentic episode: the world session and the step accounting."""

    task: Task | TextTask
    session: TaskSession | None
    step_limit: int
    limit_hit: bool = False
    tool_seconds: float = 0.0
    seconds: list[float] = field(default_factory=list)

    def call(self, tool: str, args: dict[str, Any]) -> Any:
        """Run one tool call through the session; the call past ``step_limit`` is refused."""
        if self.session is None:
            raise StepLimitExceeded("this task offers no tools")
        if self.session.calls >= self.step_limit:
            self.limit_hit = True
            raise StepLimitExceeded(f"step limit {self.step_limit} reached")
        start = time.perf_counter()
        try:
            return self.session.call(tool, args)
        finally:
            spent = time.perf_counter() - start
            self.tool_seconds += spent
            self.seconds.append(spent)


def build_env(task: Task | TextTask, world: Any, step_limit: int) -> EpisodeEnv:
    """Stage 1: a fresh private copy of the task's initial state (no world for text tasks)."""
    session = TaskSession(world, task) if isinstance(task, Task) else None
    return EpisodeEnv(task=task, session=session, step_limit=step_limit)


def agent_input(env: EpisodeEnv, *, seed: int, repeat: int, world: Any) -> AgentInput:
    task = env.task
    if isinstance(task, Task):
        return AgentInput(
            task_id=task.id,
            instruction=task.instruction,
            tools=task.tools,
            call=env.call,
            seed=seed,
            step_limit=env.step_limit,
            repeat=repeat,
            task=task,
            world=world,
        )
    return AgentInput(
        task_id=task.id,
        instruction=task.prompt,
        tools=[],
        call=env.call,
        seed=seed,
        step_limit=env.step_limit,
        repeat=repeat,
        task=task,
    )


@dataclass
class AgentRun:
    """Stage 2's outcome: the agent's output, or the failure that ended it."""

    output: AgentOutput | None
    failure: Failure | None = None
    reason: str = ""
    seconds: float = 0.0


async def run_agent(
    agent: Agent, inp: AgentInput, env: EpisodeEnv, timeout: float | None
) -> AgentRun:
    """Stage 2: run the agent under the timeout; map whatever goes wrong to a failure reason."""
    start = time.perf_counter()
    try:
        out = await asyncio.wait_for(agent.arun(inp), timeout)
        if not isinstance(out, AgentOutput):  # a plain answer is accepted too
            out = AgentOutput(answer=out)
        run = AgentRun(output=out)
    except StepLimitExceeded as exc:
        run = AgentRun(None, "step_limit", f"step limit exceeded: {exc}")
    except GraphRecursionError as exc:
        run = AgentRun(None, "step_limit", f"step limit exceeded: graph recursion limit ({exc})")
    except TimeoutError:
        run = AgentRun(None, "timeout", f"timed out after {timeout:g} s")
    except Exception as exc:  # the agent's own bug or its model's failure: scored, not fatal
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        what = f"agent raised {type(exc).__name__}" + (f": {text}" if text else "")
        run = AgentRun(None, "agent_error", what[:500])
    if env.limit_hit and run.failure is None:
        # The agent swallowed the StepLimitExceeded (e.g. a ToolNode that catches everything).
        run = AgentRun(None, "step_limit", f"step limit exceeded: {env.step_limit} tool calls")
    run.seconds = time.perf_counter() - start
    return run


def oracle_reference(world: Any, task: Task) -> list[ToolCallRecord]:
    """The oracle's calls with resolved arguments and results, for coverage and attribution.

    Uses the results recorded in the task when it was built (no tool runs); when the record
    carries none, runs the oracle once on a fresh state.
    """
    if task.oracle and any(step.result is not None for step in task.oracle):
        results: dict[str, Any] = {}
        calls = []
        for step in task.oracle:
            args = resolve_refs(step.args, results)
            results[step.id] = step.result
            calls.append(ToolCallRecord(tool=step.tool, args=args, ok=True, result=step.result))
        return calls
    _, _, trace = run_oracle(world, task)
    return [
        ToolCallRecord(tool=t.tool, args=dict(t.args), ok=t.ok, result=t.result, error=t.error)
        for t in trace
    ]


def score_episode(
    *,
    run_id: str,
    agent: str,
    repeat: int,
    env: EpisodeEnv,
    run: AgentRun,
    oracle: list[ToolCallRecord] | None,
    judge: tuple[float, str] | None = None,
    judge_failure: str | None = None,
) -> EpisodeResult:
    """Stages 3 and 4: check the answer and final state, then coverage, attribution, steps."""
    task = env.task
    answer = run.output.answer if run.output is not None else None
    answer_text = to_text(answer)[:ANSWER_CHARS] if answer is not None else None
    trace: list[ToolCallRecord] = []
    if env.session is not None:
        trace = [
            ToolCallRecord(
                tool=t.tool,
                args=t.args if isinstance(t.args, dict) else {"_": t.args},
                ok=t.ok,
                result=t.result,
                error=t.error,
                seconds=env.seconds[i] if i < len(env.seconds) else 0.0,
            )
            for i, t in enumerate(env.session.trace)
        ]
    common: dict[str, Any] = {
        "run_id": run_id,
        "agent": agent,
        "task_id": task.id,
        "repeat": repeat,
        "k": task.k,
        "skills": list(task.skills),
        "answer": answer_text,
        "trace": trace,
        "steps": len(trace),
        "seconds": run.seconds,
        "tool_seconds": env.tool_seconds,
    }
    if isinstance(task, TextTask):
        failure: Failure | None = run.failure
        reason = run.reason
        if failure is None and judge_failure is not None:
            failure, reason = "judge_error", judge_failure
        return EpisodeResult(
            kind="text",
            passed=None,
            failure=failure,
            reason=reason or (judge[1] if judge else ""),
            judge_score=judge[0] if judge else None,
            judge_reason=judge[1] if judge else None,
            **common,
        )
    mutating = {t.name for t in task.tools if t.mutates}
    covered, coverage, first_wrong = skill_coverage(task.skills, trace, oracle, mutating=mutating)
    details: dict[str, Any] = {}
    if run.failure is None:
        assert env.session is not None
        outcome = check(task, answer, env.session.state)
        passed, failure, reason = (
            outcome.passed,
            None if outcome.passed else "checker",
            outcome.reason,
        )
        details["checks"] = outcome.details
    else:
        passed, failure, reason = False, run.failure, run.reason
    return EpisodeResult(
        kind="agentic",
        passed=passed,
        failure=failure,
        reason=reason,
        oracle_steps=len(oracle) if oracle is not None else len(task.oracle),
        covered=covered,
        coverage=coverage,
        attribution=None if passed else first_wrong,
        details=details,
        **common,
    )
