"""Running tools on a task's state: sandboxed execution, the session an agent drives, the oracle.

A :class:`TaskSession` is what an evaluator hands an agent: a private deep copy of the task's
initial state, a ``call(tool, args)`` that only allows the task's tools, validates the arguments
against the tool's schema, runs the tool in the sandbox and appends every call (including
failed ones) to :attr:`TaskSession.trace`.

Task files are untrusted, so every call is bounded (``docs/reliability.md``): arguments of at
most :data:`MAX_VALUE_BYTES` and :data:`~steps_agents.fileformats.MAX_JSON_DEPTH` levels, a
result of at most :data:`MAX_VALUE_BYTES`, a state of at most :data:`MAX_STATE_BYTES` after the
call, and a wall time of at most :data:`MAX_TOOL_SECONDS` (less when the episode's deadline is
nearer). The tool runs on a worker thread the caller stops waiting for at the deadline, so a
tool that blocks (a quadratic regex on 300 KB) cannot hold the episode past its timeout, and
Ctrl-C still reaches the main thread. A thread cannot be killed: the abandoned worker runs on
in the background until its call returns, and its result is discarded. The damage is bounded:
at most :data:`MAX_STUCK_TOOL_CALLS` abandoned calls may still be running in the process; past
that, a tool call raises :class:`ToolsStuck` without starting anything, and the evaluation
stops with :class:`StuckToolsError` (one line naming the world and tool, exit 1). Workers are
daemon threads, so the process exits without waiting for them.
"""

from __future__ import annotations

import contextvars
import copy
import math
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

from steps_agents.errors import InputError, StepsError
from steps_agents.fileformats import MAX_JSON_DEPTH
from steps_agents.worlds.checking import check
from steps_agents.worlds.protocol import SkillWorld
from steps_agents.worlds.records import CheckOutcome, Task, TraceEntry, resolve_path, resolve_refs
from steps_agents.worlds.sandbox import sandboxed
from steps_agents.worlds.spec import ToolError, validate_args

__all__ = [
    "EpisodeDeadline",
    "StuckToolsError",
    "TaskSession",
    "ToolsStuck",
    "execute_tool",
    "oracle_answer",
    "run_oracle",
    "stuck_tool_calls",
]

MAX_VALUE_BYTES = 1 << 20
"""Largest tool argument or result, as :func:`value_size` counts it: 1 MiB."""

MAX_STATE_BYTES = 16 << 20
"""Largest task state after a tool call: 16 MiB."""

MAX_TOOL_SECONDS = 30.0
"""Longest one tool call may run when the episode has no nearer deadline."""


MAX_STUCK_TOOL_CALLS = 8
"""Most abandoned tool calls (past their deadline, still running) the process keeps going with."""


class EpisodeDeadline(ToolError):
    """A tool call ran past the episode's deadline: the episode is over (a timeout)."""


class ToolsStuck(EpisodeDeadline):
    """Refused before running: :data:`MAX_STUCK_TOOL_CALLS` earlier calls are still stuck."""


class StuckToolsError(StepsError, RuntimeError):
    """The run stops: a world's tools hang (see :class:`ToolsStuck`); finished work is kept."""

    exit_code = 1

    @classmethod
    def of(cls, world: str, refused: ToolsStuck) -> StuckToolsError:
        return cls(
            f"world {world!r} stopped: {refused}; its tools hang, so the run stops here"
            " (finished episodes are kept)"
        )


def value_size(value: Any, limit: int) -> int:
    """Approximate bytes of a JSON-like value (string and bytes lengths, 8 per other item),
    counted with an explicit stack and stopped as soon as it passes ``limit``: a
    gigabyte-sized value costs no more to reject than ``limit`` bytes of it."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, dict):
            total += 8 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set):
            total += 8 * len(item)
            stack.extend(item)
        else:
            total += 8
    return total


def _bounded(what: str, value: Any, limit: int) -> None:
    """Raise :class:`ToolError` if ``value`` is larger than ``limit`` (as :func:`value_size`
    counts), nested deeper than :data:`MAX_JSON_DEPTH` or holds a non-finite float. One walk
    for all three (it runs on the whole state after every call, the preflight's main cost);
    the depth and finiteness errors win over the size error, as in
    :func:`~steps_agents.fileformats.check_value`."""
    total, level, depth = 0, [value], 0
    while level:  # one nesting level at a time: no (item, depth) pair per item
        below: list[Any] = []
        for item in level:
            if isinstance(item, str | bytes):
                total += len(item)
            elif isinstance(item, dict | list | tuple | set):
                if depth >= MAX_JSON_DEPTH:
                    raise ToolError(f"{what} nested deeper than {MAX_JSON_DEPTH} levels")
                total += 8 * len(item)
                if isinstance(item, dict):
                    if total <= limit:
                        total += sum(len(k) if isinstance(k, str | bytes) else 8 for k in item)
                    below.extend(item.values())
                else:
                    below.extend(item)
            else:
                if isinstance(item, float) and not math.isfinite(item):
                    raise ToolError(f"number {item} is not finite (too large for a float)")
                total += 8
        level, depth = below, depth + 1
    if total > limit:
        raise ToolError(f"{what} larger than {limit} bytes")


def _trace_args(args: Any) -> Any:
    """A copy of ``args`` for the trace, or a note when they are too large or deep to keep."""
    try:
        _bounded("arguments", args, MAX_VALUE_BYTES)
    except ToolError as exc:
        return {"_omitted": str(exc)}
    return copy.deepcopy(args)


class _Worker:
    """A daemon thread that runs tool calls handed to it, one at a time. Kept per calling
    thread and reused (a thread start per call costs about 13x an inline call), replaced when a
    call overruns its deadline (the stuck thread is abandoned, never reused)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="steps-tool-worker", daemon=True).start()

    def _loop(self) -> None:
        while True:
            fn, ctx, box, done = self.jobs.get()
            try:
                box["result"] = ctx.run(fn)
            except BaseException as exc:  # handed to the waiting thread
                box["error"] = exc
            done.set()


_WORKERS = threading.local()
_STUCK: list[tuple[threading.Event, str]] = []  # abandoned calls: (done, tool)
_STUCK_LOCK = threading.Lock()


def stuck_tool_calls() -> list[str]:
    """The tools of the abandoned calls still running in this process (finished ones dropped)."""
    with _STUCK_LOCK:
        _STUCK[:] = [(done, tool) for done, tool in _STUCK if not done.is_set()]
        return [tool for _, tool in _STUCK]


def _run_with_deadline(fn: Any, seconds: float, tool: str) -> Any:
    """``fn()`` on this thread's worker (in a copy of the caller's context); waiting stops
    after ``seconds`` with :class:`EpisodeDeadline`. The wait is interruptible (Ctrl-C)."""
    stuck = stuck_tool_calls()
    if len(stuck) >= MAX_STUCK_TOOL_CALLS:
        raise ToolsStuck(
            f"{tool}: not run: {len(stuck)} tool calls ({', '.join(sorted(set(stuck)))}) are"
            f" still running past their deadline (limit {MAX_STUCK_TOOL_CALLS})"
        )
    worker = getattr(_WORKERS, "worker", None)
    if worker is None:
        worker = _WORKERS.worker = _Worker()
    box: dict[str, Any] = {}
    done = threading.Event()
    worker.jobs.put((fn, contextvars.copy_context(), box, done))
    if not done.wait(max(seconds, 0.0)):
        _WORKERS.worker = None  # stuck on this call: the next call gets a fresh worker
        with _STUCK_LOCK:
            _STUCK.append((done, tool))
        raise EpisodeDeadline(f"{tool}: still running after {seconds:.3g} s; episode deadline")
    if "error" in box:
        raise box["error"]
    return box.get("result")


def execute_tool(
    world: SkillWorld,
    state: dict[str, Any],
    tool: str,
    args: Mapping[str, Any],
    *,
    seconds: float | None = None,
) -> Any:
    """``world.execute`` inside the sandbox; any failure comes out as :class:`ToolError`.

    With ``seconds`` the tool runs in a worker thread and the caller waits at most that long
    (:class:`EpisodeDeadline` after). The result must stay within :data:`MAX_VALUE_BYTES` and
    the state within :data:`MAX_STATE_BYTES`; the result is deep-copied so a caller that
    mutates it cannot reach into the state.
    """

    def run() -> Any:
        with sandboxed():
            return world.execute(state, tool, args)

    try:
        result = run() if seconds is None else _run_with_deadline(run, seconds, tool)
    except ToolError:
        raise
    except Exception as exc:  # a tool bug or bad input surfaced as a Python error (MemoryError too)
        raise ToolError(f"{tool}: {type(exc).__name__}: {exc}"[:500]) from exc
    _bounded(f"{tool}: result", result, MAX_VALUE_BYTES)
    _bounded(f"{tool}: state", state, MAX_STATE_BYTES)
    return copy.deepcopy(result)


class TaskSession:
    """One run of one task: fresh state, allowed tools, the trace of calls."""

    def __init__(self, world: SkillWorld, task: Task) -> None:
        if world.name != task.world:
            raise InputError(f"task {task.id} is for world {task.world!r}, not {world.name!r}")
        self.world = world
        self.task = task
        self.state: dict[str, Any] = copy.deepcopy(task.initial_state)
        self.trace: list[TraceEntry] = []
        self._specs = {spec.name: spec for spec in task.tools}
        self.deadline: float | None = None  # time.monotonic() by which the episode must end
        self.timed_out = False
        self.stuck: ToolsStuck | None = None  # set when a call was refused: tools hang

    def _seconds(self) -> float:
        """How long the next call may run: :data:`MAX_TOOL_SECONDS`, or less by the deadline."""
        if self.deadline is None:
            return MAX_TOOL_SECONDS
        return min(MAX_TOOL_SECONDS, self.deadline - time.monotonic())

    @property
    def calls(self) -> int:
        return len(self.trace)

    def call(self, tool: str, args: Any, *, step: str | None = None) -> Any:
        """Run ``tool`` with ``args``; return its result or raise :class:`ToolError` (both traced)."""
        index = len(self.trace)
        try:
            spec = self._specs.get(tool)
            if spec is None:
                offered = ", ".join(self._specs)
                raise ToolError(f"unknown tool {tool!r}; this task offers: {offered}")
            _bounded(f"{tool}: arguments", args, MAX_VALUE_BYTES)
            validate_args(spec, args)
            result = execute_tool(self.world, self.state, tool, args, seconds=self._seconds())
        except ToolError as exc:
            self.timed_out = self.timed_out or isinstance(exc, EpisodeDeadline)
            if isinstance(exc, ToolsStuck):
                self.stuck = exc
            self.trace.append(
                TraceEntry(
                    index=index, tool=tool, args=_trace_args(args), error=str(exc), step=step
                )
            )
            raise
        # execute_tool's result is already a private copy: the trace keeps it, the caller
        # gets another (one copy fewer per call than copying for both)
        self.trace.append(
            TraceEntry(index=index, tool=tool, args=copy.deepcopy(args), result=result, step=step)
        )
        return copy.deepcopy(result)

    def raise_if_stuck(self) -> None:
        """:class:`StuckToolsError` when a call of this session was refused as
        :class:`ToolsStuck` (even if the agent caught the error and answered)."""
        if self.stuck is not None:
            raise StuckToolsError.of(self.world.name, self.stuck)

    def check(self, answer: Any) -> CheckOutcome:
        """Check ``answer`` together with this session's current state."""
        return check(self.task, answer, self.state)


def oracle_answer(task: Task, results: Mapping[str, Any]) -> Any:
    """The answer the checker expects, built from step results: the bare value for one part,
    ``{key: value}`` for several, ``None`` when the checker has only state checks."""
    values: dict[str, Any] = {}
    for part in task.checker.answer:
        if part.step is None:
            values[part.key] = part.value
        else:
            values[part.key] = resolve_path(results[part.step], list(part.path))
    if not values:
        return None
    if len(values) == 1:
        return next(iter(values.values()))
    return values


def run_oracle(
    world: SkillWorld, task: Task, *, deadline: float | None = None
) -> tuple[Any, dict[str, Any], list[TraceEntry]]:
    """Execute the oracle plan on a fresh state: ``(answer, final_state, trace)``.

    Raises :class:`ToolError` when a step fails (the task is broken for this world version),
    :class:`EpisodeDeadline` when a call runs past ``deadline`` (``time.monotonic()``).
    """
    session = TaskSession(world, task)
    session.deadline = deadline
    results: dict[str, Any] = {}
    for step in task.oracle:
        args = resolve_refs(step.args, results)
        results[step.id] = session.call(step.tool, args, step=step.id)
    return oracle_answer(task, results), session.state, session.trace
