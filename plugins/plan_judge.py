"""Built-in plugin: the ``plan`` judge -- is an executable task's oracle plan meaningful?

It re-executes the task's oracle on its initial state and rejects the task when
:func:`steps_agents.worlds.plan_check.plan_defects` finds a broken rule, each with a named
reason tag: ``empty`` (a step's result is empty), ``echo`` (a step returns, or hands on, one of
its own inputs), ``insensitive`` (the result does not change when the world's argument sampler
draws another input), ``constant`` (a parameterless step that gives the same result in every
state), ``unused`` (nothing downstream uses a step: no later step, no answer, no checked state
change), ``meaning`` (a value fed where its meaning does not fit: a weekday into a text tool)
and ``byproduct`` (the answer is a by-product such as a file's size after an append).

The ``agentic`` mode runs it on every draft by default (``[synth.mode_options] plan_judge =
false`` turns it off); it can also be listed in ``judges`` for a mode that carries an
executable task in ``item.payload["task"]``. It abstains on anything else. Options
(``[synth.judge_options.plan]``): ``draws`` (sampler draws per perturbed argument, default 4),
``states`` (other seeded states for ``constant``, default 2), ``ignore`` (rule tags to accept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import steps_agents
from steps_agents.records import Verdict
from steps_agents.synthesis.judge_protocol import JudgeContext, JudgeInput
from steps_agents.worlds import Task, ToolError
from steps_agents.worlds.plan_check import RULES, SOFT_RULES, PlanDefect, plan_defects

MORE_SHOWN = 3
"""How many further defects a failed verdict's reason names after the first (the rest are counted)."""


def checked_rules(world: Any, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The rules the judge holds a plan to on ``world``, in :data:`RULES` order: the hard ones,
    less ``ignore`` and those the world gives no means to check (``insensitive`` needs its
    ``sample_arg``, ``constant`` its ``new_state``)."""
    needs = {"insensitive": "sample_arg", "constant": "new_state"}
    return [
        rule
        for rule in RULES
        if rule not in SOFT_RULES
        and rule not in ignore
        and (rule not in needs or hasattr(world, needs[rule]))
    ]


def _where(defect: PlanDefect, tool_of: Mapping[str, str]) -> str:
    """``echo at s1 (math_round)``: the rule, the oracle step and its tool."""
    tool = tool_of.get(defect.step)
    return f"{defect.rule} at {defect.step}" + (f" ({tool})" if tool else "")


def plan_verdict(
    task: Task,
    world: Any,
    *,
    draws: int = 4,
    states: int = 2,
    ignore: frozenset[str] = frozenset(),
) -> Verdict:
    """The ``plan`` verdict for one task. Passed: the reason says how many steps were replayed
    and which rules they keep (``details["steps"]``, ``details["checked"]``). Failed: the first
    broken rule with its step and tool, then the others' tags; ``details["rules"]`` holds the
    broken rules' tags (sorted) and ``details["defects"]`` one line per defect."""
    steps = len(task.oracle)
    try:
        defects = [
            d for d in plan_defects(world, task, draws=draws, states=states) if d.rule not in ignore
        ]
    except ToolError as error:
        return Verdict(
            judge="plan",
            passed=False,
            reason=f"the oracle plan fails on replay: {error}",
            details={"rules": ["replay"], "revisable": False},
        )
    if not defects:
        checked = checked_rules(world, ignore)
        plural = "step" if steps == 1 else "steps"
        reason = (
            f"{steps} {plural} replayed, none breaks a plan rule (checked: {', '.join(checked)})"
        )
        details: dict[str, Any] = {"steps": steps, "checked": checked}
        if ignore:
            reason += f"; ignored: {', '.join(sorted(ignore))}"
            details["ignored"] = sorted(ignore)
        return Verdict(judge="plan", passed=True, reason=reason, details=details)
    tool_of = {step.id: step.tool for step in task.oracle}
    first, *others = defects
    reason = f"{_where(first, tool_of)}: {first.detail}"
    if others:
        shown = ", ".join(_where(d, tool_of) for d in others[:MORE_SHOWN])
        hidden = len(others) - MORE_SHOWN
        reason += f"; also {shown}" + (f" and {hidden} more" if hidden > 0 else "")
    return Verdict(
        judge="plan",
        passed=False,
        reason=reason,
        details={
            "rules": sorted({d.rule for d in defects}),
            "defects": [str(d) for d in defects],
            "steps": steps,
            "revisable": False,
        },
    )


class PlanJudge:
    """See the module docstring."""

    name = "plan"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = options or {}
        self.draws = int(options.get("draws", 4))
        self.states = int(options.get("states", 2))
        self.ignore = frozenset(options.get("ignore", ()))

    async def judge(self, sample: JudgeInput, ctx: JudgeContext) -> Verdict | None:
        payload = sample.item.payload.get("task")
        if not isinstance(payload, Mapping) or "oracle" not in payload:
            return None
        from steps_agents.registry import get_skill_world

        task = Task.model_validate(payload)
        world = get_skill_world(task.world, ctx.pm)
        return plan_verdict(task, world, draws=self.draws, states=self.states, ignore=self.ignore)


@steps_agents.hookimpl
def register_judges(register: Any) -> None:
    register(PlanJudge, name="plan")
