"""How templated a set of instructions reads (worlds.realism.phrasing_stats) and the toolworld
wordings that keep quickstart instructions from reading as one template."""

from __future__ import annotations

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
    assert stats["shared_ngrams"][0] == ("reply with the number", 3)
    assert stats["distinct_skeletons"] == 1.0
    # "Reply with the number only." three times over 7 sentences: 5 distinct
    assert stats["distinct_sentences"] == round(5 / 7, 3)


def test_phrasing_stats_find_notes_shared_between_instructions() -> None:
    note = 'Note: "Invoice 4410 totals 1280.50 EUR, due 2026-03-30."'
    stats = phrasing_stats([f"Count the words.\n{note}", f"Find the dates.\n{note}", "Hi."])
    assert stats["shared_notes"] == 2
