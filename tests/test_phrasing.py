"""How templated a set of instructions reads (worlds.realism.phrasing_stats) and the toolworld
wordings that keep quickstart instructions from reading as one template."""

from __future__ import annotations

from typing import Any

from steps_agents.worlds.realism import phrasing_stats, skeleton


def test_skeleton_masks_values_and_drops_notes() -> None:
    text = 'Tell me the weekday of "2026-03-30" plus 4 days.\nNote: "Ship 12 boxes."'
    assert skeleton(text) == "Tell me the weekday of Q plus N days."


def test_phrasing_stats_count_shared_wordings_and_nesting() -> None:
    texts = [
        'Tell me the first of the orders of "Ana". Reply with the number only.',
        'Tell me the first of the files under "/home". Reply with the number only.',
        "What is ((3 times 2) rounded to 1 decimal place) minus 4? Reply with the number only.",
        'Tell me the "count" of "revenue" (as "number") and the weekday (YYYY-MM-DD).',
    ]
    stats = phrasing_stats(texts)
    assert stats["the first of the"] == 2
    assert stats["quoted field"] == 1
    assert stats["Reply with the number only"] == 3
    assert stats["nested"] == 0.25  # answer-key labels and date forms are no brackets
    assert stats["parenthesised"] == 0.25
    assert stats["shared_ngrams"][:2] == [("reply with the number", 3), ("with the number only", 3)]
    assert stats["distinct_skeletons"] == 1.0
    # "Reply with the number only." three times over 7 sentences: 5 distinct
    assert stats["distinct_sentences"] == round(5 / 7, 3)


def test_phrasing_stats_find_notes_shared_between_instructions() -> None:
    note = 'Note: "Invoice 4410 totals 1280.50 EUR, due 2026-03-30."'
    stats = phrasing_stats([f"Count the words.\n{note}", f"Find the dates.\n{note}", "Hi."])
    assert stats["shared_notes"] == 2


def test_state_texts_vary_with_the_seed_and_mention_what_tools_look_for() -> None:
    import random

    from steps_agents.plugins.toolworld_impl import ToolWorld
    from steps_agents.plugins.toolworld_impl.notes import line_list, short_note

    state = ToolWorld().new_state(3)
    notes = [short_note(state, random.Random(seed)) for seed in range(40)]
    assert notes == [short_note(state, random.Random(seed)) for seed in range(40)]
    assert len(set(notes)) >= 30  # was one of three fixed strings
    assert any(person["email"] in note for note in notes for person in state["contacts"].values())
    lists = [line_list(state, random.Random(seed)) for seed in range(20)]
    assert all(len(text.splitlines()) == 4 for text in lists) and len(set(lists)) >= 15


def test_an_element_of_a_list_reads_as_one_thing_and_is_referred_back_to() -> None:
    from steps_agents.plugins.toolworld_impl import ToolWorld

    from steps_agents.worlds import try_compose

    world = ToolWorld()
    task, reason = try_compose(world, ["orders_by_customer", "orders_total"], 0)
    assert task is not None, reason
    assert "the first order of" in task.instruction
    assert "the first of the" not in task.instruction


def _render(steps: list[Any], parts: list[Any], variant: int = 0) -> str:
    from steps_agents.plugins.toolworld_impl import ToolWorld

    from steps_agents.worlds.goals import render_goal

    world = ToolWorld()
    specs = {spec.name: spec for spec in world.tool_specs()}
    return render_goal(
        world,
        steps,
        parts,
        mutating={name: spec.mutates for name, spec in specs.items()},
        ports={name: spec.ports for name, spec in specs.items()},
        in_order=False,
        variant=variant,
    )


def test_dates_names_and_columns_read_unquoted_codes_stay_quoted() -> None:
    from steps_agents.worlds import AnswerPart, OracleStep

    steps = [
        OracleStep(
            id="s1",
            tool="table_aggregate",
            args={"table": "sales", "column": "revenue", "function": "count"},
        ),
        OracleStep(id="s2", tool="dates_weekday", args={"date": "2026-03-30"}),
    ]
    text = _render(
        steps,
        [
            AnswerPart(key="count", step="s1", value=8),
            AnswerPart(key="weekday", step="s2", value="Monday"),
        ],
    )
    assert 'the count of the revenue column in the table "sales"' in text
    assert "the weekday of 2026-03-30" in text


def test_two_unrelated_errands_read_as_one_request() -> None:
    from steps_agents.worlds import AnswerPart, OracleStep

    steps = [
        OracleStep(id="s1", tool="calendar_cancel_event", args={"event_id": "ev2"}),
        OracleStep(id="s2", tool="dates_weekday", args={"date": "2026-03-30"}),
    ]
    text = _render(steps, [AnswerPart(key="weekday", step="s2", value="Monday")])
    assert text.startswith('Cancel the calendar event "ev2". While you\'re at it, ')
    related = [
        OracleStep(id="s1", tool="orders_get", args={"order_id": "O-1001"}),
        OracleStep(id="s2", tool="dates_weekday", args={"date": {"$ref": "s1.date"}}),
        OracleStep(id="s3", tool="orders_total", args={"order_id": "O-1001"}),
    ]
    parts = [
        AnswerPart(key="weekday", step="s2", value="Monday"),
        AnswerPart(key="money", step="s3", value=3),
    ]
    assert "at it" not in _render(related, parts)  # both about the order O-1001


def test_the_closing_sentence_varies_with_the_variant() -> None:
    from steps_agents.worlds import AnswerPart, OracleStep

    steps = [OracleStep(id="s1", tool="dates_weekday", args={"date": "2026-03-30"})]
    parts = [AnswerPart(key="weekday", step="s1", value="Monday")]
    texts = {_render(steps, parts, variant) for variant in range(12)}
    assert len(texts) >= 6
    assert len({t.rsplit("?", 1)[-1].rsplit(".", 2)[-2] for t in texts}) >= 3


def test_an_asked_for_operation_needs_no_bracket_before_a_plain_tail() -> None:
    from steps_agents.worlds import AnswerPart, OracleStep

    steps = [
        OracleStep(id="s1", tool="orders_total", args={"order_id": "O-1001"}),
        OracleStep(id="s2", tool="math_round", args={"x": {"$ref": "s1"}, "digits": 1}),
        OracleStep(id="s3", tool="stats_median", args={"values": [{"$ref": "s2"}, 12, 40]}),
    ]
    text = _render(steps[:2], [AnswerPart(key="money", step="s2", value=3)])
    assert 'the total value of the order "O-1001", rounded to 1 decimal place' in text
    nested = _render(steps, [AnswerPart(key="money", step="s3", value=3)])
    assert 'the median of (the total value of the order "O-1001", rounded to 1 decimal place)' in (
        nested
    )
    assert phrasing_stats([nested])["nested"] == 0


def test_a_noun_met_by_a_description_of_the_same_noun_is_said_once() -> None:
    from steps_agents.worlds import AnswerPart, OracleStep

    steps = [
        OracleStep(id="s1", tool="inbox_search", args={"query": "refund"}),
        OracleStep(
            id="s2",
            tool="inbox_send",
            args={"to": "ana@acme.com", "subject": {"$ref": "s1.0.subject"}, "body": "Hi."},
        ),
    ]
    text = _render(steps, [])
    assert 'with the same subject as the first email that mentions "refund"' in text
    assert "the subject the subject" not in text
    steps = [
        OracleStep(id="s1", tool="contacts_find", args={"name": "Ana Ortiz"}),
        OracleStep(id="s2", tool="contacts_by_email", args={"email": {"$ref": "s1.email"}}),
        OracleStep(id="s3", tool="dates_weekday", args={"date": "2026-03-30"}),
    ]
    parts = [AnswerPart(key="contact", step="s2", value={"name": "Ana Ortiz"})]
    assert "the contact with the same address as the contact card of Ana Ortiz" in (
        _render(steps, parts)
    )


def test_a_described_body_is_introduced_as_the_body() -> None:
    from steps_agents.worlds import OracleStep

    steps = [
        OracleStep(id="s1", tool="text_extract_dates", args={"text": "Due 2026-03-30."}),
        OracleStep(
            id="s2",
            tool="inbox_send",
            args={"to": "ana@acme.com", "subject": "Dates", "body": {"$ref": "s1"}},
        ),
    ]
    text = _render(steps, [])
    assert (
        'with the subject "Dates" and, as the body, the dates mentioned in "Due 2026-03-30."'
        in (text)
    )
