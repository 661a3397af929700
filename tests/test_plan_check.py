"""The plan rules (steps_agents.worlds.plan_check) and the ``plan`` judge: one hand-made plan per
rule that breaks it, and a meaningful plan that breaks none."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from typing import Any

import pytest
from steps_agents.plugins.plan_judge import MORE_SHOWN, PlanJudge, plan_verdict
from steps_agents.plugins.toolworld_impl import ToolWorld

from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.records import Combination
from steps_agents.registry import get_judge
from steps_agents.synthesis.judge_protocol import JudgeContext, JudgeInput
from steps_agents.synthesis.modes import WorkItem
from steps_agents.worlds import AnswerPart, Checker, OracleStep, StateCheck, Task, resolve_refs
from steps_agents.worlds.checking import ABSENT, state_diff
from steps_agents.worlds.plan_check import RULES, SOFT_RULES, plan_defects

WORLD = ToolWorld()
SPECS = {spec.name: spec for spec in WORLD.tool_specs()}


def hand_made(calls: Sequence[tuple[str, dict[str, Any]]], answer: Sequence[str]) -> Task:
    """A task from ``(tool, args)`` calls (``{"$ref": "s1"}`` allowed); ``answer`` lists the
    step ids whose results are the answer. The checker is what the calls really produce."""
    initial = WORLD.new_state(3)
    state = copy.deepcopy(initial)
    steps: list[OracleStep] = []
    results: dict[str, Any] = {}
    for n, (tool, args) in enumerate(calls, start=1):
        sid = f"s{n}"
        results[sid] = WORLD.execute(state, tool, resolve_refs(args, results))
        steps.append(OracleStep(id=sid, tool=tool, args=args, result=results[sid]))
    checks = [
        StateCheck(path=list(path), absent=True)
        if value is ABSENT
        else StateCheck(path=list(path), expected=value)
        for path, value in state_diff(initial, state)
    ]
    parts = [AnswerPart(key=f"a{i}", step=sid, value=results[sid]) for i, sid in enumerate(answer)]
    tools = list(dict.fromkeys(tool for tool, _ in calls))
    return Task(
        id="hand-" + "-".join(tools),
        k=len(tools),
        skills=tools,
        world=WORLD.name,
        initial_state=initial,
        instruction="(hand-made)",
        tools=[SPECS[t] for t in tools],
        oracle=steps,
        checker=Checker(answer=parts, state=checks),
    )


def rules_of(task: Task) -> set[str]:
    return {defect.rule for defect in plan_defects(WORLD, task)}


def test_a_meaningful_plan_breaks_no_rule() -> None:
    task = hand_made(
        [
            ("fs_read_file", {"path": "/home/notes/meeting.txt"}),
            ("text_word_count", {"text": {"$ref": "s1"}}),
        ],
        ["s2"],
    )
    assert plan_defects(WORLD, task) == []
    assert plan_verdict(task, WORLD).passed


def test_echo_a_step_returns_its_input() -> None:
    task = hand_made([("math_round", {"x": 43, "digits": 0})], ["s1"])
    assert "echo" in rules_of(task)


def test_echo_a_step_hands_on_what_it_was_given() -> None:
    # "the customer of the first order of Ben" is Ben: the lookup is not needed
    state = WORLD.new_state(3)
    customer = next(iter(state["orders"]["orders"].values()))["customer"]
    task = hand_made(
        [
            ("orders_by_customer", {"customer": customer}),
            ("orders_create", {"customer": {"$ref": "s1.0.customer"}, "sku": _sku(), "qty": 2}),
        ],
        [],
    )
    assert "echo" in rules_of(task)


def test_echo_a_step_hands_on_a_value_the_request_states() -> None:
    # "the date of the event you just moved to 2026-05-01" is 2026-05-01
    task = hand_made(
        [
            ("calendar_reschedule", {"event_id": "ev2", "date": "2026-05-01"}),
            ("calendar_get_event", {"event_id": {"$ref": "s1.id"}}),
            ("dates_weekday", {"date": {"$ref": "s2.date"}}),
        ],
        ["s3"],
    )
    found = [d for d in plan_defects(WORLD, task) if d.rule == "echo"]
    assert [d.step for d in found] == ["s2"] and "already stated" in found[0].detail


def test_echo_an_answer_the_request_already_holds() -> None:
    state = WORLD.new_state(3)
    name = next(
        n
        for n, c in sorted(state["contacts"].items())
        if sum(1 for other in state["contacts"].values() if other["company"] == c["company"]) == 1
    )
    task = hand_made(
        [
            ("contacts_find", {"name": name}),
            ("contacts_at_company", {"company": {"$ref": "s1.company"}}),
        ],
        ["s2"],
    )
    found = [d for d in plan_defects(WORLD, task) if d.rule == "echo"]
    assert any("is in the request" in d.detail for d in found)


def _sku() -> str:
    state = WORLD.new_state(3)
    return next(sku for sku, item in sorted(state["inventory"].items()) if item["stock"] >= 5)


def test_insensitive_the_result_ignores_the_fed_value() -> None:
    # the largest of [a unit price, 100000]: no price drawn by the sampler changes it
    task = hand_made(
        [
            ("inventory_price", {"sku": _sku()}),
            ("stats_max", {"values": [{"$ref": "s1"}, 100000]}),
        ],
        ["s2"],
    )
    found = plan_defects(WORLD, task)
    assert [d.step for d in found if d.rule == "insensitive"] == ["s2"]


def test_empty_result() -> None:
    task = hand_made(
        [("text_extract_emails", {"text": "The team closed 37 tickets this week."})], ["s1"]
    )
    assert "empty" in rules_of(task)


def test_empty_a_count_of_nothing() -> None:
    # review finding 8: every inbox_count_unread answer was 0, which "0" guesses
    task = hand_made([("inbox_count_unread", {"query": "zzqx-no-such-word"})], ["s1"])
    assert [d.detail for d in plan_defects(WORLD, task) if d.rule == "empty"] == [
        "inbox_count_unread counts nothing"
    ]


def test_constant_for_every_state() -> None:
    task = hand_made([("table_list_tables", {})], ["s1"])
    assert "constant" in rules_of(task)


def test_unused_step() -> None:
    task = hand_made(
        [("fs_read_file", {"path": "/home/notes/meeting.txt"}), ("math_add", {"a": 2, "b": 3.5})],
        ["s2"],
    )
    assert [d.step for d in plan_defects(WORLD, task) if d.rule == "unused"] == ["s1"]


def test_needless_a_step_whose_absence_changes_nothing() -> None:
    # the dates of a text do not depend on which word was replaced in it
    text = "Invoice 4410 totals 1280.50 EUR, due 2026-03-30."
    task = hand_made(
        [
            ("text_replace", {"text": text, "old": "totals", "new": "pending"}),
            ("text_extract_dates", {"text": {"$ref": "s1"}}),
        ],
        ["s2"],
    )
    assert [d.step for d in plan_defects(WORLD, task) if d.rule == "needless"] == ["s1"]


def test_needless_a_read_of_a_record_the_plan_already_holds() -> None:
    # review finding 5: calendar_reschedule returns the moved event; fetching it again by id to
    # read its date adds a tool the task does not need (the skip probe passed the checker)
    task = hand_made(
        [
            ("calendar_reschedule", {"event_id": "ev3", "date": "2026-03-25"}),
            ("calendar_get_event", {"event_id": {"$ref": "s1.id"}}),
            ("dates_weekday", {"date": {"$ref": "s2.date"}}),
        ],
        ["s3"],
    )
    assert [d.step for d in plan_defects(WORLD, task) if d.rule == "needless"] == ["s2"]
    direct = hand_made(
        [
            ("calendar_reschedule", {"event_id": "ev3", "date": "2026-03-25"}),
            ("dates_weekday", {"date": {"$ref": "s1.date"}}),
        ],
        ["s2"],
    )
    assert "needless" not in rules_of(direct)


def test_undone_a_move_then_cancelling_the_event() -> None:
    # review finding 6: "move the event ev3 to 2026-03-25 and cancel that event"
    task = hand_made(
        [
            ("calendar_reschedule", {"event_id": "ev3", "date": "2026-03-25"}),
            ("calendar_cancel_event", {"event_id": {"$ref": "s1.id"}}),
        ],
        [],
    )
    assert [d.step for d in plan_defects(WORLD, task) if d.rule == "undone"] == ["s1"]
    kept = hand_made(
        [("calendar_reschedule", {"event_id": "ev3", "date": "2026-03-25"})],
        [],
    )
    assert "undone" not in rules_of(kept)
    date = WORLD.new_state(3)["calendar"]["events"]["ev3"]["date"]
    same_day = hand_made([("calendar_reschedule", {"event_id": "ev3", "date": date})], ["s1"])
    assert "undone" in rules_of(same_day)


def test_meaning_a_weekday_is_not_text() -> None:
    task = hand_made(
        [("dates_weekday", {"date": "2026-04-13"}), ("text_char_count", {"text": {"$ref": "s1"}})],
        ["s2"],
    )
    assert {"meaning", "byproduct"} <= rules_of(task)


def test_byproduct_answer_is_a_size_after_an_append() -> None:
    task = hand_made(
        [("fs_append_file", {"path": "/home/notes/todo.txt", "text": "call Ben"})], ["s1"]
    )
    assert "byproduct" in rules_of(task)


def soft_rules_of(task: Task) -> set[str]:
    return {defect.rule for defect in plan_defects(WORLD, task, soft=True)} - rules_of(task)


def test_units_a_stock_divided_by_a_duration() -> None:
    task = hand_made(
        [
            ("calendar_get_event", {"event_id": "ev1"}),
            ("inventory_stock", {"sku": "SKU-876"}),
            ("math_divide", {"a": {"$ref": "s2"}, "b": {"$ref": "s1.duration"}}),
        ],
        ["s3"],
    )
    assert soft_rules_of(task) == {"units"}
    assert plan_verdict(task, WORLD).passed  # soft: the plan judge accepts it


def test_arbitrary_an_email_body_computed_from_stated_numbers() -> None:
    task = hand_made(
        [
            ("math_divide", {"a": 40, "b": 12}),
            ("inbox_send", {"to": "ana@acme.com", "subject": "Summary", "body": {"$ref": "s1"}}),
        ],
        [],
    )
    assert "arbitrary" in soft_rules_of(task)


def test_unrelated_two_questions_glued_together() -> None:
    task = hand_made(
        [("dates_weekday", {"date": "2026-03-30"}), ("inventory_price", {"sku": "SKU-876"})],
        ["s1", "s2"],
    )
    assert soft_rules_of(task) == {"unrelated"}


def test_every_rule_has_a_test_above() -> None:
    tested = {
        "echo",
        "insensitive",
        "empty",
        "constant",
        "unused",
        "needless",
        "undone",
        "meaning",
        "byproduct",
        "units",
        "arbitrary",
        "unrelated",
    }
    assert set(RULES) == tested


def test_plan_judge_is_registered_and_names_the_rules() -> None:
    pm = get_plugin_manager(load_entrypoints=False)
    factory = get_judge("plan", pm)
    judge = factory({})
    assert isinstance(judge, PlanJudge)
    task = hand_made([("math_round", {"x": 43, "digits": 0})], ["s1"])
    combination = Combination(skills=tuple(task.skills), k=1, gain=0.0, selector="test")
    item = WorkItem(
        id="w1", mode="agentic", combination=combination, payload={"task": task.model_dump()}
    )
    sample = JudgeInput(item=item, draft={}, messages=[])
    verdict = asyncio.run(judge.judge(sample, JudgeContext(pm=pm)))
    assert verdict is not None and not verdict.passed
    assert "echo" in verdict.details["rules"] and verdict.reason.startswith("echo at s1")
    other = WorkItem(id="w2", mode="instruct", combination=combination, payload={})
    assert asyncio.run(judge.judge(JudgeInput(other, {}, []), JudgeContext(pm=pm))) is None


@pytest.mark.parametrize("ignored", [frozenset({"echo"})])
def test_plan_verdict_can_ignore_a_rule(ignored: frozenset[str]) -> None:
    task = hand_made([("math_round", {"x": 43, "digits": 0})], ["s1"])
    assert plan_verdict(task, WORLD, ignore=ignored).passed


def test_a_passed_plan_verdict_counts_the_steps_and_names_the_rules_checked() -> None:
    task = hand_made(
        [
            ("fs_read_file", {"path": "/home/notes/meeting.txt"}),
            ("text_word_count", {"text": {"$ref": "s1"}}),
        ],
        ["s2"],
    )
    verdict = plan_verdict(task, WORLD)
    hard = [rule for rule in RULES if rule not in SOFT_RULES]
    assert verdict.passed and verdict.details == {"steps": 2, "checked": hard}
    assert (
        verdict.reason == f"2 steps replayed, none breaks a plan rule (checked: {', '.join(hard)})"
    )
    ignoring = plan_verdict(task, WORLD, ignore=frozenset({"echo", "empty"}))
    assert ignoring.details["checked"] == [r for r in hard if r not in {"echo", "empty"}]
    assert ignoring.reason.endswith(
        f"(checked: {', '.join(ignoring.details['checked'])}); ignored: echo, empty"
    )


class WithoutSampler:
    """The tool world less ``sample_arg`` and ``new_state``: nothing to perturb or re-seed with."""

    def __getattr__(self, name: str) -> Any:
        if name in {"sample_arg", "new_state"}:
            raise AttributeError(name)
        return getattr(WORLD, name)


def test_a_passed_plan_verdict_leaves_out_the_rules_the_world_cannot_check() -> None:
    task = hand_made([("fs_read_file", {"path": "/home/notes/meeting.txt"})], ["s1"])
    verdict = plan_verdict(task, WithoutSampler())
    assert verdict.passed, verdict.reason
    assert verdict.reason.startswith("1 step replayed, ")
    assert "insensitive" not in verdict.reason and "constant" not in verdict.reason
    assert "insensitive" not in verdict.details["checked"]


def test_a_failed_plan_verdict_names_rule_step_and_tool_then_a_few_others() -> None:
    task = hand_made([("math_round", {"x": 40 + n, "digits": 0}) for n in range(5)], ["s5"])
    verdict = plan_verdict(task, WORLD)
    defects = verdict.details["defects"]
    assert not verdict.passed and verdict.details["steps"] == 5 and len(defects) == 9
    first, also = verdict.reason.split("; also ")
    assert first == "echo at s1 (math_round): math_round returns its own argument"
    assert also == (
        "unused at s1 (math_round), echo at s2 (math_round), unused at s2 (math_round)"
        f" and {len(defects) - 1 - MORE_SHOWN} more"
    )
