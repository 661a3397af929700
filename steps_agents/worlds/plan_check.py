"""Is an oracle plan meaningful? Re-execute it on the task's initial state and name its defects.

A plan can type-check and still mean nothing: "find the lines containing monday in the weekday
of ...", "append the file list to a file and answer the file's new size". :func:`plan_defects`
re-runs the oracle step by step on a copy of ``task.initial_state`` and reports, per step, each
rule it breaks (the tag is what the ``plan`` judge and the composer count):

``empty``
    the step's result is empty (``None``, ``""``, ``[]``, ``{}``), or a reading step's
    ``count`` is 0 (nothing matched; "0" is the answer a guess gives).
``echo``
    a step that only reads returns one of its own arguments unchanged (rounding an integer,
    replacing a word the text does not contain, the largest of a one-element list), or the part
    of a step's result that a later step reads is one of the step's own arguments ("the customer
    of the first order of Ben" is Ben; "the quantity of the new order" is the quantity ordered).
    A part whose type names a record (the world's ``record_names``: a path, an id) is exempt:
    "the copy" of a file is named by the path it was given.
``insensitive``
    the result does not depend on the input: a fed argument (an earlier result) is replaced by
    other valid values drawn by the world's argument sampler (``sample_arg``) on the state just
    before the step, and every replacement that executes gives the same result (and, for a tool
    that changes the state, the same state). For a list argument, each fed element is replaced
    alone (the largest of ``[3, 92, 60]`` does not depend on the 3). A step fed by nothing is
    insensitive when no literal argument matters either.
``constant``
    a step without parameters whose result is the same on other seeded states of the world: a
    fact the user could write down, not something to look up.
``unused``
    nothing downstream uses the step: no later step reads its result, no answer part is its
    result, and it changes no state the checker asserts.
``needless``
    leaving a reading step out changes nothing: when one of its own arguments (of the same
    JSON kind as its result) is handed on in its place, every answer and the final state come
    out the same (replacing a word before extracting the dates, rounding before taking the
    largest). TaskCraft's test that a plan missing any one step fails.
``undone``
    a step's state change is gone by the end of the plan: the record it changed is removed, or
    the value it wrote is back to what it was (move an event, then cancel it); or a step that
    changes the state changes nothing (move an event to the date it is on).
``meaning``
    a step is fed a value whose semantic type does not fit the port (a weekday into a text
    tool, a by-product count into arithmetic): :meth:`TypeRules.assignable` on the world's
    rules, the value's type read from the source tool's ``returns``/``fields``; or one list
    argument mixes fed values of different meanings (the median of a quantity and a price).
``units``
    an operation whose operands' kinds of quantities do not combine (a stock divided by a
    duration, a price per minute; :mod:`~steps_agents.worlds.quantities`).
``arbitrary``
    arithmetic on numbers the request states only, fed on ("the body (40 divided by 12)"), or
    a plain computed number written into a message or a note (:mod:`~steps_agents.worlds.quantities`).
``unrelated``
    an answer of several parts that share no step and no stated value: two questions glued
    together, not one purpose that needs two results.

These three are soft (:data:`SOFT_RULES`, reported only with ``soft=True``): the composer hands
out a plan breaking them only when no other attempt keeps them, and the ``plan`` judge
accepts them.

``byproduct``
    an answer part is a by-product of a state change (its type is one of the world's
    ``byproducts``, default ``{"tally"}``) or a generic operation on a value it is not meant for
    (an answer step with a ``meaning`` defect): not what a user asks for.

A world without ``sample_arg`` skips ``insensitive`` (nothing to perturb with); one without
``new_state`` skips ``constant``. The checks are deterministic for a task (the sampler's random
generator is seeded from the task id).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from steps_agents.worlds.checking import ABSENT, json_copy, state_diff
from steps_agents.worlds.protocol import SkillWorld, world_type_rules
from steps_agents.worlds.quantities import quantity_defects
from steps_agents.worlds.realism import unrelated_parts
from steps_agents.worlds.records import REF_KEY, Task, resolve_path, resolve_refs
from steps_agents.worlds.session import execute_tool
from steps_agents.worlds.spec import ToolError, ToolSpec, TypeRules, ref_type

__all__ = ["RULES", "SOFT_RULES", "PlanDefect", "plan_defects", "ref_type"]

RULES = (
    "empty",
    "echo",
    "insensitive",
    "constant",
    "unused",
    "needless",
    "undone",
    "meaning",
    "byproduct",
    "units",
    "arbitrary",
    "unrelated",
)


@dataclass(frozen=True)
class PlanDefect:
    """One broken rule: ``rule`` (a tag of :data:`RULES`), the oracle ``step`` id, a sentence."""

    rule: str
    step: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.step}: {self.detail}"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _literal_strings(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        if set(value) != {REF_KEY}:
            for item in value.values():
                yield from _literal_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _literal_strings(item)
    elif isinstance(value, str):
        yield value


def _echoes(result: Any, argument: Any) -> bool:
    """The result is the argument, or the one element of a one-element list argument."""
    if isinstance(argument, list) and len(argument) == 1:
        argument = argument[0]
    return bool(result == argument)


def _outcomes(
    world: SkillWorld, task: Task, run: _Run, start: str, results: dict[str, Any]
) -> tuple[list[Any], Any]:
    """The answer values and the final state when the plan is re-run from step ``start`` on
    (its state before ``start``) with ``results`` standing in for the earlier steps."""
    state = json_copy(run.before[start])
    results = dict(results)
    begun = False
    for step in task.oracle:
        begun = begun or step.id == start
        if begun and step.id not in results:
            results[step.id] = execute_tool(
                world, state, step.tool, resolve_refs(step.args, results)
            )
    answers = []
    for part in task.checker.answer:
        value = results.get(part.step or "")
        answers.append(resolve_path(value, list(part.path)) if part.path else value)
    return answers, state


def _needless(world: SkillWorld, task: Task, run: _Run, sid: str) -> bool:
    """Does handing one of the step's own arguments on in place of its result (as if the step
    were left out) change no answer and no final state? Only arguments of the result's JSON
    kind stand in (text for text, a number for a number, a list for a list), and an earlier
    result holding the whole record this step returns (a redundant re-fetch)."""
    kind = type(run.results[sid])
    baseline = ([p.value for p in task.checker.answer], run.after[task.oracle[-1].id])
    earlier = {}
    for step in task.oracle:
        if step.id == sid:
            break
        earlier[step.id] = run.results[step.id]
    result = run.results[sid]
    # a record the plan already holds stands in too: a read that fetches the event just moved
    # (or the card just looked up) again hands on nothing new
    held = [
        value
        for value in earlier.values()
        if isinstance(result, dict)
        and isinstance(value, dict)
        and all(k in value and value[k] == v for k, v in result.items())
    ]
    for value in [*run.args[sid].values(), *held]:
        if type(value) is not kind or value == result and value not in held:
            continue
        try:
            answers, state = _outcomes(world, task, run, sid, {**earlier, sid: value})
        except ToolError:
            continue
        if answers == baseline[0] and state == baseline[1]:
            return True
    return False


def _feeds(args: Mapping[str, Any]) -> Iterable[tuple[str, int | None, str]]:
    """``(param, list position or None, reference)`` for every reference in the arguments."""
    for param, value in args.items():
        if isinstance(value, Mapping) and set(value) == {REF_KEY}:
            yield param, None, str(value[REF_KEY])
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping) and set(item) == {REF_KEY}:
                    yield param, i, str(item[REF_KEY])


class _Run:
    """The oracle re-executed: per step the state before it, its resolved arguments, result."""

    def __init__(self, world: SkillWorld, task: Task) -> None:
        self.before: dict[str, dict[str, Any]] = {}
        self.after: dict[str, dict[str, Any]] = {}
        self.args: dict[str, dict[str, Any]] = {}
        self.results: dict[str, Any] = {}
        mutates = {spec.name: spec.mutates for spec in task.tools}
        state = json_copy(task.initial_state)
        for step in task.oracle:
            self.before[step.id] = json_copy(state)
            self.args[step.id] = resolve_refs(step.args, self.results)
            self.results[step.id] = execute_tool(world, state, step.tool, self.args[step.id])
            # a tool that only reads leaves the state as it was: share the snapshot
            changed = mutates.get(step.tool, True)
            self.after[step.id] = json_copy(state) if changed else self.before[step.id]

    def part(self, ref: str) -> Any:
        head, *path = ref.split(".")
        try:
            return resolve_path(self.results[head], [int(p) if p.isdigit() else p for p in path])
        except ToolError:
            return None


def _outcome(world: SkillWorld, state: dict[str, Any], tool: str, args: Any, mutates: bool) -> Any:
    trial = json_copy(state) if mutates else state  # a reading tool leaves the state alone
    result = execute_tool(world, trial, tool, args)
    return (result, trial) if mutates else result


def _alternatives(
    world: Any,
    tool: str,
    param: str,
    state: Mapping[str, Any],
    args: Mapping[str, Any],
    rng: random.Random,
    draws: int,
    element: bool,
) -> list[Any]:
    """Other valid values for ``param`` from the world's sampler (elements, for a list port)."""
    out: list[Any] = []
    for _ in range(draws):
        try:
            value = world.sample_arg(tool, param, state, rng, args)
        except Exception:  # noqa: BLE001 - a sampler with nothing to offer: no perturbation
            continue
        values = value if element and isinstance(value, list) else [value]
        out.extend(v for v in values if v not in out)
    return out


def _insensitive(
    world: Any,
    spec: ToolSpec,
    run: _Run,
    sid: str,
    fed: list[tuple[str, int | None, str]],
    rng: random.Random,
    draws: int,
) -> str | None:
    """The argument whose replacement never changes the outcome, or ``None``."""
    before, args = run.before[sid], run.args[sid]
    original = (run.results[sid], run.after[sid]) if spec.mutates else run.results[sid]
    targets: list[tuple[str, int | None]] = [(p, i) for p, i, _ in fed]
    if not targets:
        targets = [(p, None) for p in spec.parameters.get("properties", {})]
    verdicts: list[bool] = []
    for param, pos in targets:
        current = args[param] if pos is None else args[param][pos]
        tried = 0
        changed = False
        for alt in _alternatives(
            world, spec.name, param, before, args, rng, draws, pos is not None
        ):
            if alt == current:
                continue
            trial_args = dict(args)
            if pos is None:
                trial_args[param] = alt
            else:
                trial_args[param] = [alt if i == pos else v for i, v in enumerate(args[param])]
            try:
                outcome = _outcome(world, before, spec.name, trial_args, spec.mutates)
            except ToolError:
                continue
            tried += 1
            if outcome != original:
                changed = True
                break
        if tried == 0:
            continue  # nothing to compare with: abstain for this argument
        if fed and not changed:
            return param
        verdicts.append(changed)
    if not fed and verdicts and not any(verdicts):
        return ", ".join(p for p, _ in targets)
    return None


SOFT_RULES = frozenset({"units", "arbitrary", "unrelated"})
"""Rules a plan should keep but may break when nothing else composes (:data:`RULES`' last three):
checked only when :func:`plan_defects` is asked for them."""


def plan_defects(
    world: SkillWorld, task: Task, *, draws: int = 4, states: int = 2, soft: bool = False
) -> list[PlanDefect]:
    """Every rule of the module docstring the task's oracle plan breaks, in step order.

    ``draws`` sampler calls per perturbed argument, ``states`` other seeded states for the
    ``constant`` rule; ``soft`` adds the :data:`SOFT_RULES` (the composer's preferences). Raises :class:`ToolError` when the oracle itself fails to execute.
    """
    rules: TypeRules = world_type_rules(world)
    specs = {spec.name: spec for spec in task.tools}
    tool_of = {step.id: step.tool for step in task.oracle}
    byproducts = frozenset(getattr(world, "byproducts", {"tally"}))
    run = _Run(world, task)
    rng = random.Random(task.id)
    consumed = {ref for step in task.oracle for ref in step.refs()}
    uses: dict[str, set[str]] = {}
    for step in task.oracle:
        for _, _, ref in _feeds(step.args):
            if "." in ref:
                uses.setdefault(ref.split(".")[0], set()).add(ref)
    names = frozenset(getattr(world, "record_names", ()))
    # strings the request itself states (literal arguments): a step that only hands one of them
    # on ("the date of the event you just moved to 2026-05-01") is not needed
    stated = {v for step in task.oracle for v in _literal_strings(step.args)}
    answered = {part.step for part in task.checker.answer if part.step}
    checked = [tuple(check.path) for check in task.checker.state]
    out: list[PlanDefect] = []
    final = run.after[task.oracle[-1].id] if task.oracle else task.initial_state
    order = {step.id: n for n, step in enumerate(task.oracle)}
    if soft:
        out += [
            PlanDefect("units" if d.category == "units" else "arbitrary", d.step, d.detail)
            for d in quantity_defects(world, task)
        ]
    for step in task.oracle:
        spec = specs[step.tool]
        result = run.results[step.id]
        fed = list(_feeds(step.args))
        misfed = []
        for param, _, ref in fed:
            typ, port = ref_type(ref, specs, tool_of), spec.ports.get(param)
            if typ is None or port is None:
                misfed.append(f"{ref} feeds {param}, which takes no earlier result")
            elif not (rules.assignable(typ, port) or rules.element_of(typ, port)):
                misfed.append(f"{ref} is a {typ}, {param} takes {port}")
        kinds = {
            param: {ref_type(ref, specs, tool_of) for p, pos, ref in fed if p == param}
            for param, pos, _ in fed
            if pos is not None
        }
        misfed += [
            f"{param} mixes {', '.join(sorted(map(str, k)))}"
            for param, k in kinds.items()
            if len(k) > 1
        ]
        out += [PlanDefect("meaning", step.id, m) for m in misfed]
        if _empty(result):
            out.append(PlanDefect("empty", step.id, f"{step.tool} returns {result!r}"))
        elif result == 0 and spec.returns == "count" and not spec.mutates:
            # a count of nothing: the query matched nothing, and "0" is a guess that passes
            out.append(PlanDefect("empty", step.id, f"{step.tool} counts nothing"))
        inputs = list(run.args[step.id].values())
        if not spec.mutates and any(_echoes(result, v) for v in inputs):
            out.append(PlanDefect("echo", step.id, f"{step.tool} returns its own argument"))
        else:
            for ref in sorted(uses.get(step.id, ())):
                if ref_type(ref, specs, tool_of) in names:
                    continue  # "the copy", "the new order": a record named by what was given
                part = run.part(ref)
                if any(_echoes(part, v) for v in inputs):
                    out.append(PlanDefect("echo", step.id, f"{ref} is what {step.tool} was given"))
                    break
                if isinstance(part, str) and part in stated:
                    out.append(PlanDefect("echo", step.id, f"{ref} is {part!r}, already stated"))
                    break
        if hasattr(world, "sample_arg") and spec.parameters.get("properties"):
            flat = _insensitive(world, spec, run, step.id, fed, rng, draws)
            if flat is not None:
                out.append(PlanDefect("insensitive", step.id, f"{step.tool} ignores {flat}"))
        if not spec.parameters.get("properties") and hasattr(world, "new_state"):
            others = []
            for n in range(states):
                try:
                    other = world.new_state(rng.randrange(2**31) + n)
                    others.append(execute_tool(world, other, step.tool, {}))
                except ToolError:
                    continue
            if others and all(o == result for o in others):
                out.append(
                    PlanDefect("constant", step.id, f"{step.tool} is the same in every state")
                )
        touched = [path for path, _ in state_diff(run.before[step.id], run.after[step.id])]
        if spec.mutates and not touched:
            out.append(PlanDefect("undone", step.id, f"{step.tool} changes nothing here"))
        elif touched and all(_undone(run, step.id, final, p) for p in touched):
            out.append(PlanDefect("undone", step.id, f"a later step undoes {step.tool}"))
        reaches_check = any(_related(p, c) for p in touched for c in checked)
        if step.id not in consumed and step.id not in answered and not reaches_check:
            out.append(PlanDefect("unused", step.id, f"nothing uses the result of {step.tool}"))
        if step.id in consumed and not spec.mutates and _needless(world, task, run, step.id):
            out.append(
                PlanDefect("needless", step.id, f"skipping {step.tool} changes no answer or state")
            )
        if step.id in answered:
            parts = [p for p in task.checker.answer if p.step == step.id]
            for part in parts:
                given = part.value if isinstance(part.value, list) else [part.value]
                if given and all(isinstance(v, str) and v in stated for v in given):
                    out.append(
                        PlanDefect("echo", step.id, f"the answer {part.key!r} is in the request")
                    )
                typ = ref_type(".".join([step.id, *map(str, part.path)]), specs, tool_of)
                if typ in byproducts or misfed:
                    what = (
                        f"a {typ}"
                        if typ in byproducts
                        else "a generic operation on the wrong kind of value"
                    )
                    out.append(
                        PlanDefect("byproduct", step.id, f"the answer {part.key!r} is {what}")
                    )
    if soft and unrelated_parts(task):
        last = task.checker.answer[-1].step or task.oracle[-1].id
        out.append(PlanDefect("unrelated", last, "the answer's parts share no step or value"))
    out.sort(key=lambda d: order[d.step])
    return out


def _undone(run: _Run, sid: str, final: Any, path: Sequence[Any]) -> bool:
    """Is what step ``sid`` wrote at ``path`` gone from the final state (removed with its
    record, or back to the value before the step)?"""
    now, written = _value_at(final, path), _value_at(run.after[sid], path)
    return (
        now is not written
        and now != written
        and (now is ABSENT or now == _value_at(run.before[sid], path))
    )


def _value_at(state: Any, path: Sequence[Any]) -> Any:
    """The value at ``path`` in ``state``, or :data:`ABSENT` when a key on the way is missing."""
    for key in path:
        in_list = isinstance(state, list) and isinstance(key, int) and 0 <= key < len(state)
        if not (in_list or isinstance(state, Mapping) and key in state):
            return ABSENT
        state = state[key]
    return state


def _related(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    n = min(len(a), len(b))
    return tuple(map(str, a[:n])) == tuple(map(str, b[:n]))
