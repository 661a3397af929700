"""Task realism: kinds of quantities in arithmetic (worlds.quantities, toolworld's meaning
rules), the soft plan rules the composer prefers, and goal instructions that state a long
literal once and refer back to what they already described (worlds.goals, worlds.realism)."""

from __future__ import annotations

import pytest
from steps_agents.plugins.toolworld_impl import ToolWorld
from steps_agents.plugins.toolworld_impl.meaning import Meaningless, operation_kind

from steps_agents.worlds import AnswerPart, OracleStep, Task, try_compose
from steps_agents.worlds.compose import ComposeOptions, compose_task
from steps_agents.worlds.goals import render_goal
from steps_agents.worlds.instructions import missing_required_values
from steps_agents.worlds.plan_check import SOFT_RULES, plan_defects
from steps_agents.worlds.quantities import quantity_defects
from steps_agents.worlds.realism import realism_marks, repeated_text, unrelated_parts

WORLD = ToolWorld()


def _ref(ref: str) -> dict[str, str]:
    return {"$ref": ref}


def test_operation_kinds_follow_units() -> None:
    ops = {"a": [("money", None)], "b": [("quantity", None)]}
    assert operation_kind("math_divide", ops) == "money"  # a price per unit
    assert operation_kind("math_multiply", ops) == "money"
    assert operation_kind("stats_sum", {"values": [("money", None), ("literal", 4)]}) == "money"
    assert operation_kind("math_divide", {"a": [("literal", 40)], "b": [("literal", 12)]}) == (
        "number"
    )
    with pytest.raises(Meaningless, match="quantity by a minutes"):
        operation_kind("math_divide", {"a": [("quantity", None)], "b": [("minutes", None)]})
    with pytest.raises(Meaningless, match="money and number"):
        operation_kind("stats_median", {"values": [("money", None), ("number", None)]})
    with pytest.raises(Meaningless, match="fraction"):
        operation_kind("math_divide", {"a": [("count", None)], "b": [("literal", 1.19)]})


def _task(steps: list[OracleStep], answer: list[AnswerPart]) -> Task:
    """A task around a hand-written plan (its tools' specs, an empty state check)."""
    base, _ = try_compose(WORLD, ["dates_weekday"], 0)
    assert base is not None
    specs = {spec.name: spec for spec in WORLD.tool_specs()}
    return base.model_copy(
        update={
            "oracle": steps,
            "tools": [specs[s.tool] for s in steps],
            "checker": base.checker.model_copy(update={"answer": answer, "state": []}),
        }
    )


def test_quantity_defects_name_units_stated_numbers_and_bare_bodies() -> None:
    steps = [
        OracleStep(id="s1", tool="calendar_get_event", args={"event_id": "ev1"}),
        OracleStep(id="s2", tool="inventory_stock", args={"sku": "SKU-1"}),
        OracleStep(id="s3", tool="math_divide", args={"a": _ref("s2"), "b": _ref("s1.duration")}),
    ]
    task = _task(steps, [AnswerPart(key="number", step="s3", value=1)])
    assert [(d.category, d.step) for d in quantity_defects(WORLD, task)] == [("units", "s3")]
    steps = [
        OracleStep(id="s1", tool="math_divide", args={"a": 40, "b": 12}),
        OracleStep(
            id="s2",
            tool="inbox_send",
            args={"to": "a@b.com", "subject": "Summary", "body": _ref("s1")},
        ),
    ]
    task = _task(steps, [])
    found = {d.category for d in quantity_defects(WORLD, task)}
    assert found == {"stated", "bare"}


def test_soft_rules_are_reported_only_on_request() -> None:
    task, _ = try_compose(WORLD, ["inventory_stock", "calendar_get_event", "math_divide"], 0)
    if task is None:
        pytest.skip("combination does not compose on this seed")
    hard = {d.rule for d in plan_defects(WORLD, task)}
    assert not hard & SOFT_RULES  # the plan judge never sees them
    assert not hard  # the composer hands out only plans that keep the hard rules
    assert {d.rule for d in plan_defects(WORLD, task, soft=True)} <= SOFT_RULES


def test_composer_prefers_plans_whose_numbers_mean_something() -> None:
    def marks(options: ComposeOptions) -> int:
        found = 0
        for seed in range(4):
            task = compose_task(WORLD, ["calendar_get_event", "math_divide"], seed, options=options)
            found += len({"units", "stated", "bare"} & set(realism_marks(WORLD, task)))
        return found

    assert marks(ComposeOptions()) == 0
    assert marks(ComposeOptions(soft_rules=frozenset())) > 0  # without the preference: some


def test_long_literal_is_stated_once_and_descriptions_refer_back() -> None:
    note = "Invoice 4410 totals 1280.50 EUR, due 2026-03-30. Questions: billing@globex.com"
    steps = [
        OracleStep(id="s1", tool="text_extract_dates", args={"text": note}, result=["2026-03-30"]),
        OracleStep(id="s2", tool="dates_weekday", args={"date": _ref("s1.0")}, result="Monday"),
        OracleStep(
            id="s3",
            tool="calendar_reschedule",
            args={"event_id": "ev5", "date": _ref("s1.0")},
            result={},
        ),
    ]
    specs = {spec.name: spec for spec in WORLD.tool_specs()}
    words = {"s1.0": "date", "s1": "dates", "s3": "event"}
    text = render_goal(
        WORLD,
        steps,
        [AnswerPart(key="weekday", step="s2", value="Monday")],
        mutating={name: spec.mutates for name, spec in specs.items()},
        ports={name: spec.ports for name, spec in specs.items()},
        words=words.get,
        in_order=False,
    )
    assert text.count(note) == 1 and "the note below" in text
    assert "that date" in text  # the second mention of the first date of the note
    assert repeated_text(text) is None, text


def test_goal_tasks_keep_their_values_and_lose_recipe_steps() -> None:
    task, _ = try_compose(WORLD, ["inbox_read", "text_extract_dates", "calendar_reschedule"], 1)
    assert task is not None
    assert missing_required_values(task) == []
    assert "open the" not in task.instruction.casefold()


def test_unrelated_parts_share_no_step_or_value() -> None:
    steps = [
        OracleStep(id="s1", tool="dates_weekday", args={"date": "2026-03-30"}),
        OracleStep(id="s2", tool="inventory_price", args={"sku": "SKU-1"}),
    ]
    parts = [
        AnswerPart(key="weekday", step="s1", value="Monday"),
        AnswerPart(key="money", step="s2", value=3),
    ]
    assert unrelated_parts(_task(steps, parts))
    steps[1] = OracleStep(id="s2", tool="dates_add_days", args={"date": "2026-03-30", "days": 2})
    assert not unrelated_parts(_task(steps, parts))  # both about the same date


def test_a_back_reference_is_never_ambiguous() -> None:
    # "the date 21 days after the first date of the note" holds two dates: a later "that date"
    # could mean either, so the first date is described again
    note = "Invoice 4410 totals 1280.50 EUR, due 2026-03-30. Questions: billing@globex.com"
    steps = [
        OracleStep(id="s1", tool="text_extract_dates", args={"text": note}, result=["2026-03-30"]),
        OracleStep(id="s2", tool="dates_add_days", args={"date": _ref("s1.0"), "days": 21}),
        OracleStep(
            id="s3", tool="calendar_reschedule", args={"event_id": "ev7", "date": _ref("s2")}
        ),
        OracleStep(id="s4", tool="dates_weekday", args={"date": _ref("s1.0")}, result="Monday"),
    ]
    specs = {spec.name: spec for spec in WORLD.tool_specs()}
    words = {"s1.0": "date", "s1": "dates", "s2": "date"}
    text = render_goal(
        WORLD,
        steps,
        [
            AnswerPart(key="weekday", step="s4", value="Monday"),
            AnswerPart(key="dates", step="s1", value=["2026-03-30"]),
        ],
        mutating={name: spec.mutates for name, spec in specs.items()},
        ports={name: spec.ports for name, spec in specs.items()},
        words=words.get,
        in_order=False,
    )
    assert "that date" not in text, text
    assert "the weekday of the first of those dates" in text  # "dates": only the note's
