"""Compose an executable k-skill task: a plan (chain or DAG) that uses exactly the k tools.

Works for any world that, besides :class:`~steps_agents.worlds.SkillWorld`, can sample a
realistic literal for a parameter from a state and phrase a call (:class:`ComposableWorld`).

Algorithm:

1. **Plan the data flow** at the type level (:func:`plan_flows`): the feed graph has an edge
   ``a -> b`` for each port of ``b`` that some part of ``a``'s result fits (the whole value, a
   record field, the first list element; :meth:`TypeRules.paths`). Randomised Kruskal passes
   pick spanning trees that respect port capacity (one feed per port, up to three elements per
   list port); a random topological order of a tree is the call order. One tree (a single
   data flow) is required for k < 4; from k = 4 on, at most two flows are allowed, none of them
   a single tool, so every step still passes data to or takes data from another.
2. **Build** each step on a working copy of a fresh seeded state (``attempts`` tries, each
   with a new state and the next plan): planned feeds become ``{"$ref": "s2.total"}``
   arguments, the other parameters get literals sampled from the state; the call is executed
   in the sandbox, and a :class:`ToolError` or an empty result means "try another value".
3. **Sinks** are the steps nobody consumes.
4. **Check**: each non-mutating sink becomes an answer part (rule from the tool, else numeric
   for numbers and exact otherwise); mutating sinks are answer parts only when their tool
   declares a rule. Every leaf of the state that changed between the initial and the final
   state becomes a :class:`StateCheck` (deleted keys as ``absent``). A plan whose only check
   is an answer a blind guess hits often (a boolean, -1, 0, 1, one character) is redrawn.
5. **Verify**: the oracle is re-run on a fresh copy of the initial state and must pass the
   checker (so the task is deterministic) before the task is returned.

Failure raises :class:`CompositionError` naming the most frequent obstacle.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from steps_agents.worlds import (
    AnswerPart,
    Checker,
    CompositionError,
    OracleStep,
    SkillWorld,
    StateCheck,
    Task,
    ToolError,
    ToolSpec,
    TypeRules,
    check,
    execute_tool,
    run_oracle,
    validate_args,
    world_type_rules,
)
from steps_agents.worlds.checking import ABSENT as _ABSENT
from steps_agents.worlds.checking import json_copy, state_diff
from steps_agents.worlds.flows import Components, FlowPlan, plan_flows
from steps_agents.worlds.goals import render_goal
from steps_agents.worlds.instructions import render_instruction
from steps_agents.worlds.plan_check import SOFT_RULES, plan_defects, ref_type

__all__ = [
    "ComposableWorld",
    "ComposeOptions",
    "NoSample",
    "compose_task",
    "data_flows",
    "difficulty",
    "instruction_for",
    "state_diff",
    "task_id",
]


class NoSample(Exception):
    """A world's sampler has no suitable literal for a parameter in this state."""


class ComposableWorld(SkillWorld, Protocol):
    def sample_arg(
        self,
        tool: str,
        param: str,
        state: Mapping[str, Any],
        rng: random.Random,
        args: Mapping[str, Any],
    ) -> Any:
        """A realistic literal for ``param`` of ``tool`` given the state and the arguments chosen
        so far (fed values included); raise :class:`NoSample` when there is none."""
        ...

    def phrase(self, tool: str) -> str:
        """The instruction template of a tool, with ``{param}`` placeholders."""
        ...

    def answer_rule(self, tool: str) -> str | None:
        """The comparison rule for this tool's result as an answer, or ``None`` for the default."""
        ...


@dataclass(frozen=True)
class ComposeOptions:
    attempts: int = 30
    max_answer_chars: int = 400
    max_components: int = 2  # separate data flows allowed from split_min_k on (none a single step)
    split_min_k: int = 4
    feed_choices: int = 8
    instructions: str = "goal"  # goal | recipe (a world without nouns always gets recipes)
    plan_check: bool = True  # redraw plans the plan rules reject (plan_check.py)
    # Rules a plan should keep but may break when no attempt keeps them (arithmetic on stated
    # numbers, answer parts that share nothing): such a plan is kept aside and handed out only
    # after ``soft_tries`` further attempts found none that keeps them.
    soft_rules: frozenset[str] = SOFT_RULES
    soft_tries: int = 6
    # Above this k a glued plan (two data flows, or answer parts that share nothing) breaking
    # soft rules is not handed out: the review found k=7 16/20 such tasks; the synthesis
    # planner gives a k that composes nothing its share elsewhere.
    fallback_max_k: int = 4


class _Retry(Exception):
    """One attempt failed; ``edges`` are the planned ``(source, tool)`` feeds of the failing step."""

    def __init__(self, message: str, edges: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.edges = tuple(edges)


class _Soft(_Retry):
    """The attempt breaks only soft plan rules (``broken`` of them): ``draft`` is a fallback."""

    def __init__(
        self, message: str, edges: Sequence[tuple[str, str]], broken: int, draft: Task
    ) -> None:
        super().__init__(message, edges)
        self.broken, self.draft = broken, draft


def data_flows(task: Task) -> list[list[str]]:
    """The weakly connected parts of a task's oracle (step ids), largest first."""
    comps = Components([step.id for step in task.oracle])
    for step in task.oracle:
        for ref in step.refs():
            comps.union(step.id, ref)
    groups: dict[str, list[str]] = {}
    for step in task.oracle:
        groups.setdefault(comps.find(step.id), []).append(step.id)
    return sorted(groups.values(), key=len, reverse=True)


def _glued(draft: Task) -> bool:
    """Two separate data flows, or an answer whose parts share nothing."""
    return len(data_flows(draft)) > 1 or "unrelated" in draft.provenance.get("soft_rules", ())


def task_id(world: str, version: str, skills: Sequence[str], seed: int) -> str:
    text = "|".join([world, version, ",".join(sorted(skills)), str(seed)])
    return f"{world}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


_Cand = tuple[str, Any, bool]  # (reference, value, as list element)


class _Plan:
    def __init__(self) -> None:
        self.steps: list[OracleStep] = []
        self.results: dict[str, Any] = {}
        self.step_of: dict[str, str] = {}  # tool -> step id
        self.consumed: set[str] = set()
        self.paths: dict[str, list[tuple[str, str]]] = {}
        self.final: dict[str, Any] = {}


def _source_values(plan: _Plan, sid: str, port: str, rules: TypeRules) -> list[_Cand]:
    """The parts of step ``sid``'s result that fit ``port``: whole values and exact types first."""
    out: list[tuple[float, _Cand]] = []
    for suffix, typ in plan.paths[sid]:
        whole = rules.assignable(typ, port)
        element = not whole and rules.element_of(typ, port)
        if not (whole or element):
            continue
        value: Any = plan.results[sid]
        try:
            for part in [p for p in suffix.split(".") if p]:
                value = value[int(part)] if part.isdigit() else value[part]
        except (KeyError, IndexError, TypeError):
            continue
        if _empty(value):
            continue
        score = (0.5 if suffix else 0.0) + (0.0 if typ == port or element else 0.3)
        out.append((score, (sid + suffix, value, element)))
    return [c for _, c in sorted(out, key=lambda x: x[0])]


def _feed_choices(
    spec: ToolSpec,
    flow: FlowPlan,
    tool: str,
    plan: _Plan,
    rules: TypeRules,
    rng: random.Random,
    limit: int,
) -> list[dict[str, list[_Cand]]]:
    """Value-level choices for the planned feeds of ``tool``: per port one candidate per source."""
    per_port: dict[str, list[list[_Cand]]] = {}
    for port, source in flow.feeds_of(tool):
        options = _source_values(plan, plan.step_of[source], spec.ports[port], rules)
        if not options:
            return []
        per_port.setdefault(port, []).append(options)
    choices: list[dict[str, list[_Cand]]] = []
    for attempt in range(limit):
        choice: dict[str, list[_Cand]] = {}
        for port, sources in per_port.items():
            picked = [
                opts[0] if attempt == 0 else opts[rng.randrange(len(opts))] for opts in sources
            ]
            if len(picked) > 1 and not all(c[2] for c in picked):
                picked = [c for c in picked if c[2]] or picked[:1]
            choice[port] = picked
        if choice not in choices:
            choices.append(choice)
    return choices or [{}]


def _build(
    world: ComposableWorld,
    specs: Mapping[str, ToolSpec],
    rules: TypeRules,
    flow: FlowPlan,
    initial: dict[str, Any],
    rng: random.Random,
    options: ComposeOptions,
) -> _Plan:
    plan = _Plan()
    work = json_copy(initial)
    for index, tool in enumerate(flow.order, start=1):
        sid = f"s{index}"
        spec = specs[tool]
        done = False
        for feeds in _feed_choices(spec, flow, tool, plan, rules, rng, options.feed_choices):
            args_lit: dict[str, Any] = {}
            args_ref: dict[str, Any] = {}
            try:
                for param, picked in feeds.items():  # fed values first: samplers may read them
                    if picked[0][2]:
                        # Fed elements only: padding a fed value with sampled numbers ("the
                        # largest of the unit price, 12 and 43") is no question a user asks; a
                        # list of one fed value makes the step an echo, which plan_check rejects.
                        args_lit[param] = [c[1] for c in picked]
                        args_ref[param] = [{"$ref": c[0]} for c in picked]
                    else:
                        args_lit[param] = picked[0][1]
                        args_ref[param] = {"$ref": picked[0][0]}
                for param in spec.parameters.get("properties", {}):
                    if param not in feeds:
                        literal = world.sample_arg(tool, param, work, rng, args_lit)
                        args_lit[param] = literal
                        args_ref[param] = literal
                ordered = list(spec.parameters.get("properties", {}))
                args_lit = {p: args_lit[p] for p in ordered if p in args_lit}
                args_ref = {p: args_ref[p] for p in ordered if p in args_ref}
                validate_args(spec, args_lit)
                trial = json_copy(work) if spec.mutates else work  # readers leave it alone
                result = execute_tool(world, trial, tool, args_lit)
            except (NoSample, ToolError):
                continue
            if _empty(result):
                continue
            work = trial
            for picked in feeds.values():
                for ref, _, _ in picked:
                    plan.consumed.add(ref.split(".")[0])
            plan.steps.append(OracleStep(id=sid, tool=tool, args=args_ref, result=result))
            plan.results[sid] = result
            plan.step_of[tool] = sid
            plan.paths[sid] = rules.paths(spec.returns, spec.fields)
            done = True
            break
        if not done:
            raise _Retry(
                f"no executable arguments for {tool}",
                [(source, tool) for _, source in flow.feeds_of(tool)],
            )
    plan.final = work
    return plan


def _default_rule(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "numeric"
    return "exact"


def _checker(
    world: ComposableWorld,
    specs: Mapping[str, ToolSpec],
    plan: _Plan,
    initial: dict[str, Any],
    final: dict[str, Any],
    options: ComposeOptions,
) -> Checker:
    answer: list[AnswerPart] = []
    for step in plan.steps:
        if step.id in plan.consumed:
            continue
        declared = world.answer_rule(step.tool)
        if specs[step.tool].mutates and declared is None:
            continue
        if len(json.dumps(step.result, default=str)) > options.max_answer_chars:
            raise _Retry(f"answer of {step.tool} is too long")
        rule = declared or _default_rule(step.result)
        tolerance = 1e-3 if rule == "numeric" else 1e-6
        answer.append(
            AnswerPart(
                key=_answer_key(specs[step.tool].returns, [p.key for p in answer]),
                step=step.id,
                value=step.result,
                rule=rule,  # type: ignore[arg-type]
                tolerance=tolerance,
            )
        )
    state: list[StateCheck] = []
    for path, value in state_diff(initial, final):
        if value is _ABSENT:
            state.append(StateCheck(path=list(path), absent=True))
        else:
            state.append(StateCheck(path=list(path), expected=value))
    if not answer and not state:
        raise _Retry("the plan produces neither an answer nor a state change")
    if not state and all(_guessable(part.value) for part in answer):
        raise _Retry("the answer is too easy to guess")
    return Checker(answer=answer, state=state)


def _answer_key(returns: str, taken: Sequence[str]) -> str:
    """An answer key named by what the value is (``weekday``, ``money``, ``dates``,
    ``events``), never by the step that computed it: a key such as ``s3`` would number the
    steps for the agent. A record is named by the first word of its name (``event_brief`` ->
    ``event``), a list by its element's name plus ``s``."""
    plural = returns.startswith("list[") and returns.endswith("]")
    inner = returns[5:-1] if plural else returns
    base = inner.split(":", 1)[1].split("_")[0] if inner.startswith("record:") else inner
    base = (base or "value") + ("s" if plural else "")
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _guessable(value: Any) -> bool:
    """Values a blind guess hits too often: booleans, -1, 0, 1, one character."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return value in (-1, 0, 1)
    if isinstance(value, str):
        return len(value.strip()) <= 1
    return False


def compose_task(
    world: ComposableWorld,
    skills: Sequence[str],
    seed: int,
    *,
    options: ComposeOptions | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> Task:
    """A verified task whose oracle uses each of ``skills`` exactly once; raise
    :class:`CompositionError` with the most frequent obstacle when no attempt works."""
    options = options or ComposeOptions()
    specs = {spec.name: spec for spec in world.tool_specs()}
    skills = list(dict.fromkeys(skills))
    unknown = [s for s in skills if s not in specs]
    if unknown:
        raise CompositionError(f"world {world.name!r} has no tool {unknown[0]!r}")
    if not skills:
        raise CompositionError("an empty combination has nothing to compose")
    rules = world_type_rules(world)
    digest = hashlib.sha256("|".join([str(seed), *sorted(skills)]).encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    obstacles: Counter[str] = Counter()
    best, flows = plan_flows(skills, specs, rules, rng)
    allowed = options.max_components if len(skills) >= options.split_min_k else 1
    if not flows or best > allowed:
        raise CompositionError(
            f"cannot compose {', '.join(skills)}: the tools' result and input types do not join"
            f" them into {'one data flow' if allowed == 1 else f'at most {allowed} data flows'}"
            f" of two or more steps ({best} separate parts at best)"
        )
    # A feed that fails twice at the value level (say, text without numbers into
    # text_extract_numbers) is banned and the flows are planned again without it.
    failures: Counter[tuple[str, str]] = Counter()
    banned: set[tuple[str, str]] = set()
    rejected: Counter[str] = Counter()  # plan rules broken by candidate plans (plan_check)
    flows = _prefer_intents(world, flows, specs, rules)
    cursor = 0
    fallbacks: list[tuple[int, int, Task]] = []  # (soft rules broken, attempt, draft)
    soft_left = options.soft_tries
    for attempt in range(options.attempts):
        if fallbacks:
            if soft_left <= 0:
                break
            soft_left -= 1
        state_seed = rng.randrange(2**31)
        initial = world.new_state(state_seed)
        flow = flows[cursor % len(flows)]
        cursor += 1
        try:
            plan = _build(world, specs, rules, flow, initial, rng, options)
            checker = _checker(world, specs, plan, initial, plan.final, options)
            draft = Task(
                id=task_id(world.name, world.version, skills, seed),
                k=len(skills),
                skills=skills,
                world=world.name,
                world_version=world.version,
                seed=seed,
                initial_state=initial,
                instruction="(pending)",
                tools=[specs[s] for s in skills],
                oracle=plan.steps,
                checker=checker,
                provenance={
                    "composer": "steps_agents.worlds.compose",
                    "attempt": attempt,
                    "min_flows": best,  # the type-level bound; "flows" is the plan's own
                    "state_seed": state_seed,
                    "edges": [
                        list(edge)
                        for edge in sorted({(ref, s.id) for s in plan.steps for ref in s.refs()})
                    ],
                    **dict(provenance or {}),
                },
            )
            draft = _changes_first(world, draft)
            draft.provenance["flows"] = len(data_flows(draft))  # review finding 11
            if options.plan_check:
                _check_plan(world, draft, rejected, options.soft_rules)
        except _Retry as exc:
            obstacles[str(exc)] += 1
            if isinstance(exc, _Soft):
                # kept aside, its feeds not banned: banning them left fewer plans to try and
                # more fallbacks in the quickstart (units 17 -> 20 of 140 tasks)
                fallbacks.append((exc.broken, attempt, exc.draft))
                continue
            failures.update(exc.edges)
            newly = {edge for edge in exc.edges if failures[edge] >= 2} - banned
            if newly:
                banned |= newly
                replan_best, replanned = plan_flows(
                    skills, specs, rules, rng, banned=frozenset(banned)
                )
                if not replanned or replan_best > allowed:
                    break
                flows, cursor = _prefer_intents(world, replanned, specs, rules), 0
            continue
        task = _finish(world, draft, options, rejected, obstacles)
        if task is not None:
            return task
    if len(skills) > options.fallback_max_k:
        fallbacks = [f for f in fallbacks if not _glued(f[2])]
    for _, _, draft in sorted(fallbacks, key=lambda f: f[:2]):  # fewest soft rules broken first
        task = _finish(world, draft, options, rejected, obstacles)
        if task is not None:
            return task
    common = obstacles.most_common(1)[0][0] if obstacles else "no attempt made"
    raise CompositionError(
        f"cannot compose {', '.join(skills)} after {options.attempts} attempts: {common}"
    )


def _finish(
    world: ComposableWorld,
    draft: Task,
    options: ComposeOptions,
    rejected: Counter[str],
    obstacles: Counter[str],
) -> Task | None:
    """The draft with its instruction and difficulty, or ``None`` when its oracle's replay
    fails the checker (nondeterminism: never hand out a task the oracle fails)."""
    style = options.instructions if hasattr(world, "noun") else "recipe"
    instruction = instruction_for(world, draft, style)
    meta = {
        **draft.provenance,
        "plan_rejections": dict(sorted(rejected.items())),
        "difficulty": difficulty(world, draft, style),
    }
    task = draft.model_copy(update={"instruction": instruction, "provenance": meta})
    answer, state, _ = run_oracle(world, task)
    outcome = check(task, answer, state)
    if not outcome.passed:
        obstacles[f"oracle replay failed the checker: {outcome.reason}"] += 1
        return None
    return task


def _renumber(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {"$ref"}:
            head, _, rest = str(value["$ref"]).partition(".")
            return {"$ref": ids[head] + (f".{rest}" if rest else "")}
        return {k: _renumber(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_renumber(v, ids) for v in value]
    return value


def _changes_first(world: ComposableWorld, task: Task) -> Task:
    """The same plan with its state changes as early as the data flow allows, when that gives
    the same answer and final state (checked by replay); else ``task`` unchanged.

    A goal instruction can then state the changes first and ask the questions after them;
    only a plan whose answer really reads the state before a change needs "before you
    change anything"."""
    mutates = {spec.name: spec.mutates for spec in task.tools}
    position = {step.id: n for n, step in enumerate(task.oracle)}
    pending = list(task.oracle)
    done: set[str] = set()
    order: list[OracleStep] = []
    while pending:
        ready = [s for s in pending if set(s.refs()) <= done]
        pick = min(ready, key=lambda s: (not mutates[s.tool], position[s.id]))
        order.append(pick)
        pending.remove(pick)
        done.add(pick.id)
    if [s.id for s in order] == [s.id for s in task.oracle]:
        return task
    ids = {step.id: f"s{n}" for n, step in enumerate(order, start=1)}
    steps = [
        step.model_copy(update={"id": ids[step.id], "args": _renumber(step.args, ids)})
        for step in order
    ]
    answer = [
        part.model_copy(update={"step": ids[part.step]}) if part.step else part
        for part in task.checker.answer
    ]
    edges = sorted({(ref, s.id) for s in steps for ref in s.refs()})
    moved = task.model_copy(
        update={
            "oracle": steps,
            "checker": task.checker.model_copy(update={"answer": answer}),
            "provenance": {**task.provenance, "edges": [list(e) for e in edges]},
        }
    )
    try:
        result, state, _ = run_oracle(world, moved)
    except ToolError:
        return task
    return moved if check(moved, result, state).passed else task


def _check_plan(
    world: ComposableWorld, draft: Task, rejected: Counter[str], soft: frozenset[str]
) -> None:
    """Raise :class:`_Retry` naming the first broken plan rule (:class:`_Soft`, carrying the
    draft, when every broken rule is in ``soft``); the feeds into the offending step are the
    edges to ban when the same rule keeps breaking there."""
    try:
        defects = plan_defects(world, draft, soft=bool(soft))
    except ToolError as exc:
        raise _Retry(f"the oracle fails on replay: {exc}") from None
    if not defects:
        return
    rejected.update({d.rule for d in defects})
    hard = [d for d in defects if d.rule not in soft]
    first = (hard or defects)[0]
    tool_of = {step.id: step.tool for step in draft.oracle}
    step = next(s for s in draft.oracle if s.id == first.step)
    edges = [(tool_of[ref], step.tool) for ref in step.refs()]
    if hard:
        raise _Retry(f"plan rule {first.rule}: {first.detail}", edges)
    broken = sorted({d.rule for d in defects})
    meta = {**draft.provenance, "soft_rules": broken}  # what the task breaks if handed out
    raise _Soft(
        f"plan rule {first.rule}: {first.detail}",
        edges,
        len(broken),
        draft.model_copy(update={"provenance": meta}),
    )


def _prefer_intents(
    world: Any, flows: list[FlowPlan], specs: Mapping[str, ToolSpec], rules: TypeRules
) -> list[FlowPlan]:
    """Plans whose every answer is an intent of the world (or a state change) first, in their
    previous order otherwise (a stable sort); unchanged for a world without ``intents``."""
    meanings = [meaning for meaning, _ in getattr(world, "intents", ())]
    if not meanings:
        return flows

    def purposeful(flow: FlowPlan) -> bool:
        sources = {src for _, feeds in flow.feeds for _, src in feeds}
        sinks = [specs[t] for t in flow.order if t not in sources]
        return all(
            spec.mutates or any(rules.assignable(spec.returns, m) for m in meanings)
            for spec in sinks
        )

    return sorted(flows, key=lambda flow: not purposeful(flow))


def instruction_for(world: Any, task: Task, style: str = "goal") -> str:
    """The task's instruction in ``style``: ``goal`` (what the user wants, composed from the
    world's nouns, :func:`~steps_agents.worlds.goals.render_goal`) or ``recipe`` (numbered tool
    steps, :func:`~steps_agents.worlds.instructions.render_instruction`). The same plan and
    checker either way, so the two styles can be compared task by task."""
    variant = int(task.provenance.get("state_seed", task.seed))
    if style == "recipe" or not hasattr(world, "noun"):
        return render_instruction(
            task.oracle, world.phrase, task.checker.answer, task.checker.state, variant=variant
        )
    if style != "goal":
        raise ValueError(f"unknown instruction style {style!r}; use goal or recipe")
    specs = {spec.name: spec for spec in task.tools}
    tool_of = {step.id: step.tool for step in task.oracle}
    types = {
        part.key: ref_type(".".join([part.step, *map(str, part.path)]), specs, tool_of) or ""
        for part in task.checker.answer
        if part.step
    }
    silent = _implied_changes(world, task)
    naming = getattr(world, "type_word", None)
    return render_goal(
        world,
        task.oracle,
        task.checker.answer,
        in_order=not _answers_survive_changes(world, task),
        mutating={name: spec.mutates and name not in silent for name, spec in specs.items()},
        types=types,
        ports={name: spec.ports for name, spec in specs.items()},
        names=frozenset(getattr(world, "record_names", ())),
        variant=variant,
        words=(lambda ref: naming(ref_type(ref, specs, tool_of))) if naming else None,
        unordered=_unordered_changes(world, task, silent),
    )


def _replays_same(world: Any, task: Task, steps: Sequence[OracleStep]) -> bool:
    """Does the oracle in this step order give the task's answers and final state?"""
    moved = task.model_copy(update={"oracle": list(steps)})
    try:
        _, base, _ = run_oracle(world, task)
        result, state, _ = run_oracle(world, moved)
    except (ToolError, ValueError):
        return False
    return state == base and check(moved, result, state).passed


def _implied_changes(world: Any, task: Task) -> frozenset[str]:
    """Tools of the plan whose state change a goal need not tell (the world's ``implied``:
    opening an email whose body is asked about): their result is used, and run again on the
    final state they give the same result, so the agent may do it whenever it needs the value."""
    if not hasattr(world, "implied"):
        return frozenset()
    from steps_agents.worlds import resolve_refs

    used = {ref for step in task.oracle for ref in step.refs()}
    used |= {part.step for part in task.checker.answer if part.step}
    wanted = [s for s in task.oracle if world.implied(s.tool) and s.id in used]
    if not wanted:
        return frozenset()
    try:
        _, final, trace = run_oracle(world, task)
    except (ToolError, ValueError):
        return frozenset()
    results = {step.id: entry.result for step, entry in zip(task.oracle, trace, strict=True)}
    out = set()
    for step in wanted:
        try:
            again = execute_tool(
                world, json_copy(final), step.tool, resolve_refs(step.args, results)
            )
        except (ToolError, ValueError):
            continue
        if again == results[step.id]:
            out.add(step.tool)
    return frozenset(out)


def _valid_order(steps: Sequence[OracleStep]) -> bool:
    seen: set[str] = set()
    for step in steps:
        if not set(step.refs()) <= seen:
            return False
        seen.add(step.id)
    return True


def _unordered_changes(
    world: Any, task: Task, silent: frozenset[str]
) -> frozenset[tuple[str, str]]:
    """Pairs of consecutive told state changes ``(a, b)`` that give the same answers and final
    state when ``b`` is done first (checked by replay)."""
    mutates = {spec.name: spec.mutates for spec in task.tools}
    told = [s for s in task.oracle if mutates.get(s.tool) and s.tool not in silent]
    out = set()
    for a, b in zip(told, told[1:], strict=False):
        order = list(task.oracle)
        order.remove(b)
        order.insert(order.index(a), b)
        if _valid_order(order) and _replays_same(world, task, order):
            out.add((a.id, b.id))
    return frozenset(out)


def _answers_survive_changes(world: Any, task: Task) -> bool:
    """Would each answer, and each read it rests on, come out the same if run after every state
    change? Then a goal can state the changes first and ask afterwards. Replays the oracle,
    then re-runs the reading steps on the final state (mutating steps keep their results)."""
    from steps_agents.worlds import resolve_refs

    # every read an answer rests on, not only the answer: the goal describes those values too
    # ("the contents of that file"), and an answer that comes out the same by coincidence
    # (another file now first under /home) would describe what the state no longer holds;
    # a read only a change consumes is told with that change, before it
    by_id = {step.id: step for step in task.oracle}
    needed: set[str] = set()
    todo = [part.step for part in task.checker.answer if part.step]
    while todo:
        sid = todo.pop()
        if sid not in needed:
            needed.add(sid)
            todo += by_id[sid].refs()
    mutates = {spec.name: spec.mutates for spec in task.tools}
    try:
        _, final, trace = run_oracle(world, task)
        results = {step.id: entry.result for step, entry in zip(task.oracle, trace, strict=True)}
        again: dict[str, Any] = {}
        for step in task.oracle:
            if mutates.get(step.tool, True):
                again[step.id] = results[step.id]
            elif step.id in needed:
                args = resolve_refs(step.args, again)
                again[step.id] = execute_tool(world, json_copy(final), step.tool, args)
    except (ToolError, ValueError):
        return False
    return all(again.get(sid) == results.get(sid) for sid in needed)


def difficulty(world: Any, task: Task, style: str) -> dict[str, Any]:
    """Difficulty facts of a task: ``depth`` (the longest chain of steps feeding one another),
    ``fan_in`` (the most earlier results one step reads), ``state_changes`` (state checks),
    ``distractors`` (records in the world's collections of the task's domains that the oracle
    never names: files, events, emails, orders, ... -- what a lucky guess picks from; from the
    world's optional ``collections(state) -> {domain: names}``), ``answer_parts`` and the
    instruction ``style``."""
    depth: dict[str, int] = {}
    for step in task.oracle:
        depth[step.id] = 1 + max((depth[r] for r in step.refs()), default=0)
    fan_in = max((len(set(step.refs())) for step in task.oracle), default=0)
    named = json.dumps([step.args for step in task.oracle], default=str)
    pools = world.collections(task.initial_state) if hasattr(world, "collections") else {}
    distractors = sum(
        1
        for domain in sorted({spec.domain for spec in task.tools})
        for name in pools.get(domain, ())
        if str(name) not in named
    )
    return {
        "depth": max(depth.values(), default=0),
        "fan_in": fan_in,
        "state_changes": len(task.checker.state),
        "distractors": distractors,
        "answer_parts": len(task.checker.answer),
        "style": style,
    }
