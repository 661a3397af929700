"""One episode: build the task's state, run the agent with its tools, check, score.

Stages: :func:`build_env` -> :func:`run_agent` -> :func:`check_answer` (executable task) or
:func:`judge_answer_of` (SkillBench text task) -> :func:`score_episode`. :func:`play` runs the
first three (the judge excepted) and returns plain data (:class:`Played`), so the evaluator can
play an episode in this process or in a Ray worker and score and record it in the driver.

The stages are plain functions so that tests can call them directly. Whatever the agent does --
raise, hang, run past the step limit -- ends as an :class:`EpisodeResult` with the reason; only
``BaseException`` s that are not ``Exception`` (KeyboardInterrupt, cancellation) stop the run,
and a :class:`~steps_agents.errors.ModelCallError` that is not about this one request (the
model's service is down, the key or the model name is wrong): recording it as the agent's
failure would poison every episode and, since recorded episodes are never rerun, the resume.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from langgraph.errors import GraphRecursionError

from steps_agents.errors import ModelCallError
from steps_agents.evaluation.agents import (
    Agent,
    AgentInput,
    AgentOutput,
    StepLimitExceeded,
    is_reference,
    to_text,
)
from steps_agents.evaluation.cofailure import skill_feeds
from steps_agents.evaluation.grading import judge_answer
from steps_agents.evaluation.records import EpisodeResult, Failure, ToolCallRecord
from steps_agents.evaluation.scoring import skill_coverage
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.worlds import Task, TaskSession, ToolError, check, resolve_refs, run_oracle

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
            raise ToolError("this task offers no tools; answer in text")
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


def agent_input(
    env: EpisodeEnv, *, seed: int, repeat: int, world: Any, reference: bool = False
) -> AgentInput:
    """What the agent is handed; the task record (oracle, checker) only for a ``reference``
    agent (:func:`~steps_agents.evaluation.agents.is_reference`)."""
    task = env.task
    record = task if reference else None
    if isinstance(task, Task):
        return AgentInput(
            task_id=task.id,
            instruction=task.instruction,
            tools=task.tools,
            call=env.call,
            seed=seed,
            step_limit=env.step_limit,
            repeat=repeat,
            task=record,
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
        task=record,
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
    if env.session is not None and timeout is not None:
        # Tool calls run in a worker thread waited on until this deadline: a tool that blocks
        # cannot hold the episode (asyncio.wait_for alone cannot interrupt a synchronous call).
        env.session.deadline = time.monotonic() + timeout
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
    except ModelCallError as exc:
        # An outage, a bad key or an unknown model would fail every episode, and a recorded
        # failure is never rerun: stop the run instead (finished episodes stay; rerun resumes).
        if not exc.item_specific:
            raise
        run = AgentRun(None, "agent_error", f"model call refused: {exc}"[:500])
    except Exception as exc:  # the agent's own bug or its model's failure: scored, not fatal
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        what = f"agent raised {type(exc).__name__}" + (f": {text}" if text else "")
        run = AgentRun(None, "agent_error", what[:500])
    if env.session is not None:
        env.session.raise_if_stuck()  # the world's tools hang: stop the run, score nothing
    if env.session is not None and env.session.timed_out and run.failure is None:
        # A tool ran past the deadline; the agent may have caught the error and answered.
        run = AgentRun(None, "timeout", "timed out: a tool call ran past the episode deadline")
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


@dataclass
class Checked:
    """Stage 3's outcome: pass/fail by the checker (executable tasks) or the judge's score
    (text tasks, ``passed`` is ``None``), or the failure carried over from stage 2."""

    passed: bool | None
    failure: Failure | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    judge_score: float | None = None
    judge_reason: str | None = None


def check_answer(env: EpisodeEnv, run: AgentRun) -> Checked:
    """Stage 3 for an executable task: the deterministic checker on the answer and final state."""
    task = env.task
    if run.failure is not None or run.output is None:
        return Checked(False, run.failure or "agent_error", run.reason)
    if isinstance(task, TextTask) or env.session is None:
        raise TypeError("text tasks are judged (judge_answer_of), not checked")
    outcome = check(task, run.output.answer, env.session.state)
    return Checked(
        outcome.passed,
        None if outcome.passed else "checker",
        outcome.reason,
        {"checks": outcome.details},
    )


async def judge_answer_of(task: Task | TextTask, run: AgentRun, judge: Any) -> Checked:
    """Stage 3 for a SkillBench text task: the judge model's 1-10 score (never raises)."""
    if run.failure is not None or run.output is None:
        return Checked(None, run.failure or "agent_error", run.reason)
    if not isinstance(task, TextTask):
        raise TypeError("executable tasks are checked (check_answer), not judged")
    if judge is None:
        return Checked(None, "judge_error", "no judge model configured (--judge)")
    try:
        score, reason = await judge_answer(
            judge,
            prompt=task.prompt,
            reference=task.reference,
            answer=to_text(run.output.answer or ""),
            skills=task.skills,
        )
    except ModelCallError as exc:
        if not exc.item_specific:  # the judge is down or misconfigured: see run_agent
            raise
        return Checked(None, "judge_error", f"judge refused: {exc}"[:300])
    except Exception as exc:  # a judge's bad answer is this episode's failure, not the run's
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Checked(None, "judge_error", f"judge failed: {type(exc).__name__}: {text}"[:300])
    return Checked(None, None, reason, judge_score=score, judge_reason=reason)


def trace_of(env: EpisodeEnv) -> list[ToolCallRecord]:
    """The agent's tool calls of this episode, with the seconds each took."""
    if env.session is None:
        return []
    return [
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


@dataclass
class Played:
    """What playing one episode leaves once its world session is gone: the agent's run, the
    checker's verdict (``None`` for a text task: the judge sees it next) and the trace. Plain
    data, so an episode played in a Ray worker comes back to the driver (``.runner``)."""

    run: AgentRun
    checked: Checked | None
    trace: list[ToolCallRecord]
    tool_seconds: float


async def play(
    agent: Agent,
    task: Task | TextTask,
    world: Any,
    *,
    seed: int,
    repeat: int,
    step_limit: int,
    timeout: float | None,
) -> Played:
    """Stages 1-3 of an executable task (build, run, check) and 1-2 of a text task."""
    env = build_env(task, world, step_limit)
    inp = agent_input(env, seed=seed, repeat=repeat, world=world, reference=is_reference(agent))
    run = await run_agent(agent, inp, env, timeout)
    checked = None if isinstance(task, TextTask) else check_answer(env, run)
    return Played(run, checked, trace_of(env), env.tool_seconds)


def score_episode(
    *,
    run_id: str,
    agent: str,
    repeat: int,
    task: Task | TextTask,
    played: Played,
    checked: Checked,
    oracle: list[ToolCallRecord] | None,
) -> EpisodeResult:
    """Stage 4: the episode record -- trace, coverage, failure attribution, steps vs oracle."""
    run, trace = played.run, played.trace
    answer = run.output.answer if run.output is not None else None
    common: dict[str, Any] = {
        "run_id": run_id,
        "agent": agent,
        "task_id": task.id,
        "repeat": repeat,
        "k": task.k,
        "skills": list(task.skills),
        "passed": checked.passed,
        "failure": checked.failure,
        "reason": checked.reason,
        "details": checked.details,
        "answer": to_text(answer)[:ANSWER_CHARS] if answer is not None else None,
        "trace": trace,
        "steps": len(trace),
        "seconds": run.seconds,
        "tool_seconds": played.tool_seconds,
    }
    if isinstance(task, TextTask):
        return EpisodeResult(
            kind="text",
            judge_score=checked.judge_score,
            judge_reason=checked.judge_reason,
            **common,
        )
    mutating = {t.name for t in task.tools if t.mutates}
    covered, coverage, first_wrong = skill_coverage(task.skills, trace, oracle, mutating=mutating)
    # The oracle's data edges let the co-failure test leave out producer -> consumer cascades.
    common["details"] = {**checked.details, "feeds": skill_feeds(task.oracle)}
    return EpisodeResult(
        kind="agentic",
        oracle_steps=len(oracle) if oracle is not None else len(task.oracle),
        covered=covered,
        coverage=coverage,
        attribution=None if checked.passed else first_wrong,
        **common,
    )
