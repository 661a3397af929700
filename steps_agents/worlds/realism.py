"""Would a demanding user keep this task? Countable marks of a mechanical instruction or plan.

:func:`realism_marks` lists, for one task, what ``docs/task-realism.md``'s rules count against
it (TaskCraft and tau-bench style requests state a goal once, in the user's words):

``repeated``
    the instruction says the same >= 25 characters twice (a literal or a description spelled
    out again instead of "that email", "the note below");
``open``
    a recipe step a goal implies ("Open the email ..." when its contents are what is asked for);
``then``
    the instruction orders its steps with "then";
``units`` / ``stated`` / ``bare``
    arithmetic whose kinds of quantities do not combine, arithmetic on stated numbers fed on,
    a plain computed number written into a message (:mod:`steps_agents.worlds.quantities`);
``unrelated``
    an answer of several parts that share no step and no stated value: two questions glued
    together rather than one purpose needing two results.

:func:`realism_counts` counts tasks with each mark over a task list; :func:`phrasing_stats`
measures how templated a set of instructions reads as a whole (one instruction can be fine and
the set still repeat itself): the word n-grams most instructions share, the stock wordings a
reviewer flagged, nested parentheses, and how many instructions are distinct once the values
they state are masked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from steps_agents.worlds.quantities import quantity_defects
from steps_agents.worlds.records import Task

__all__ = [
    "MARKS",
    "STOCK_PHRASES",
    "phrasing_stats",
    "realism_counts",
    "realism_marks",
    "repeated_text",
    "skeleton",
    "unrelated_parts",
]

MARKS = ("repeated", "open", "then", "units", "stated", "bare", "unrelated")
_THEN = re.compile(r"\bthen\b", re.IGNORECASE)
_OPEN = re.compile(r"\bopen the\b", re.IGNORECASE)


def repeated_text(text: str, length: int = 25) -> str | None:
    """The first ``length``-character stretch of ``text`` that occurs again later (not
    overlapping itself), or ``None``."""
    for start in range(len(text) - 2 * length + 1):
        piece = text[start : start + length]
        if piece.strip() and text.find(piece, start + length) >= 0:
            return piece
    return None


def _ancestors(task: Task, sid: str) -> set[str]:
    by_id = {step.id: step for step in task.oracle}
    seen: set[str] = set()
    todo = [sid]
    while todo:
        current = todo.pop()
        if current in by_id and current not in seen:
            seen.add(current)
            todo += by_id[current].refs()
    return seen


def _stated(task: Task, steps: Iterable[str]) -> set[str]:
    from steps_agents.worlds.instructions import _literals

    wanted = set(steps)
    return {
        str(v)
        for step in task.oracle
        if step.id in wanted
        for v in _literals(step.args)
        if isinstance(v, str)
    }


def unrelated_parts(task: Task) -> bool:
    """Do the answer parts fall into groups that share no step and no stated string?"""
    parts = [p.step for p in task.checker.answer if p.step]
    if len(parts) < 2:
        return False
    groups = [(_ancestors(task, sid), _stated(task, _ancestors(task, sid))) for sid in parts]
    linked = {0}
    changed = True
    while changed:
        changed = False
        for i, (steps, stated) in enumerate(groups):
            if i in linked:
                continue
            if any(steps & groups[j][0] or stated & groups[j][1] for j in linked):
                linked.add(i)
                changed = True
    return len(linked) < len(groups)


def realism_marks(world: Any, task: Task) -> list[str]:
    """The marks of the module docstring this task carries (each at most once)."""
    text = task.instruction
    marks = []
    if repeated_text(text):
        marks.append("repeated")
    if _OPEN.search(text):
        marks.append("open")
    if _THEN.search(text):
        marks.append("then")
    found = {d.category for d in quantity_defects(world, task)}
    marks += [m for m in ("units", "stated", "bare") if m in found]
    if unrelated_parts(task):
        marks.append("unrelated")
    return marks


def realism_counts(world: Any, tasks: Sequence[Task]) -> Counter[str]:
    """Per mark, how many of ``tasks`` carry it (every mark present, zero when none)."""
    counts: Counter[str] = Counter({mark: 0 for mark in MARKS})
    for task in tasks:
        counts.update(realism_marks(world, task))
    return counts


# Wordings a demanding-user review flagged as template marks (name -> pattern).
STOCK_PHRASES: dict[str, re.Pattern[str]] = {
    "the first of the": re.compile(r"\bthe first of the\b", re.IGNORECASE),
    # a quoted field name used as a noun: 'the "count" of "revenue"', '"units" values'
    "quoted field": re.compile(r'\bthe "[^"\n]+" (?:of|values)\b|"[^"\n]+" "[^"\n]+"'),
    "Reply with the number only": re.compile(r"Reply with the number only", re.IGNORECASE),
}
_QUOTED = re.compile(r'"""\n.*?\n"""|"[^"\n]*"', re.DOTALL)
_NUMBER_WORD = re.compile(r"-?\d+(?:[.:-]\d+)*")
_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def skeleton(instruction: str) -> str:
    """The instruction's wording with what it states masked: quoted values -> ``Q``, numbers
    (and dates) -> ``N``, notes below the request dropped. Two instructions with the same
    skeleton differ only in their values."""
    first = instruction.split("\n")[0]
    return _NUMBER_WORD.sub("N", _QUOTED.sub("Q", first)).strip()


def _long_values(instruction: str) -> set[str]:
    """The notes under the request and the quoted values of 25 or more characters."""
    head, _, notes = instruction.partition("\n")
    found = {q.strip('"') for q in _QUOTED.findall(head) if len(q) >= 27}
    return found | {line.strip() for line in notes.splitlines() if len(line.strip()) >= 25}


def _by_count(item: tuple[tuple[str, ...], int]) -> tuple[int, tuple[str, ...]]:
    return -item[1], item[0]  # most frequent first, ties alphabetically (sets do not order)


def _depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        deepest = max(deepest, depth)
    return deepest


def phrasing_stats(instructions: Sequence[str], n: int = 4, top: int = 5) -> dict[str, Any]:
    """How templated ``instructions`` read together: ``shared_ngrams`` (the ``top`` word
    ``n``-grams of the skeletons by how many instructions contain them, with that count),
    ``common_ngrams`` (distinct n-grams in at least 10% of the instructions), per stock phrase
    (:data:`STOCK_PHRASES`) the instructions using it, ``parenthesised`` / ``nested`` (the
    share with a bracketed description, at any depth / two deep, answer-key labels such as
    ``(as "date")`` not counted), ``shared_notes`` (instructions whose note below the request,
    or whose quoted value of 25 or more characters, occurs in another instruction too: the
    state's fixed texts), ``distinct_skeletons`` (distinct :func:`skeleton` per
    instruction), ``distinct_sentences`` (the same over sentences: a stock sentence such as
    "Reply with the number only." lowers it) and ``distinct_ngrams`` (distinct n-grams per
    n-gram occurrence)."""
    total = max(len(instructions), 1)
    per_text: list[set[tuple[str, ...]]] = []
    occurrences = 0
    distinct: set[tuple[str, ...]] = set()
    for text in instructions:
        words = _WORD.findall(skeleton(text).casefold())
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        occurrences += len(grams)
        distinct.update(grams)
        per_text.append(set(grams))
    counts: Counter[tuple[str, ...]] = Counter(g for grams in per_text for g in grams)
    sentences = [
        part.strip()
        for text in instructions
        for part in _SENTENCE_END.split(skeleton(text))
        if part.strip()
    ]
    prose = [re.sub(r'\(as "[^"]*"\)|\(YYYY-MM-DD\)', "", t.split("\n")[0]) for t in instructions]
    texts = [_long_values(t) for t in instructions]
    seen: Counter[str] = Counter(v for values in texts for v in values)
    return {
        "instructions": len(instructions),
        "shared_ngrams": [(" ".join(g), c) for g, c in sorted(counts.items(), key=_by_count)[:top]],
        "common_ngrams": sum(1 for c in counts.values() if c >= 0.1 * total),
        **{
            name: sum(1 for t in instructions if pattern.search(t))
            for name, pattern in STOCK_PHRASES.items()
        },
        "shared_notes": sum(1 for values in texts if any(seen[v] > 1 for v in values)),
        "parenthesised": round(sum(1 for t in prose if _depth(t) >= 1) / total, 3),
        "nested": round(sum(1 for t in prose if _depth(t) >= 2) / total, 3),
        "distinct_skeletons": round(len({skeleton(t) for t in instructions}) / total, 3),
        "distinct_sentences": round(len(set(sentences)) / max(len(sentences), 1), 3),
        "distinct_ngrams": round(len(distinct) / max(occurrences, 1), 3),
    }
