"""Property-based fuzzing (hypothesis) of the readers of untrusted files: the corpus reader, the
taxonomy loader and the task reader. Whatever the bytes, each either reads the file or raises one
:class:`InputError` whose message is a single line naming the file; nothing else escapes (no
``RecursionError``, ``KeyError``, ``ValueError`` traceback, ``MemoryError``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers_evaluation import toolworld_tasks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steps_agents.corpus.sources import read_jsonl
from steps_agents.errors import InputError
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.taxonomy.artifact import Taxonomy, load_taxonomy
from steps_agents.worlds.taskio import load_tasks

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

HUGE = "__an integer of 5000 digits__"

# JSON-ish values, including the awkward ones: huge integers, non-finite floats, deep nesting.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.just(HUGE),  # written as an integer of 5000 digits
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


def _dumps(value: Any) -> str:
    """JSON text of ``value`` (``NaN``/``Infinity`` as Python writes them), with every
    :data:`HUGE` marker written as a 5000-digit integer."""
    return json.dumps(value).replace(json.dumps(HUGE), "9" * 5000)


def _one_line_error_naming(path: Path, exc: InputError) -> None:
    text = str(exc)
    assert "\n" not in text and str(path) in text, text


def _reads_or_refuses(path: Path, read: Any) -> None:
    try:
        read(path)
    except InputError as exc:
        _one_line_error_naming(path, exc)


@FUZZ
@given(lines=st.lists(st.one_of(values.map(_dumps), st.binary(max_size=40).map(repr)), max_size=5))
def test_corpus_reader_reads_or_refuses_in_one_line(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _reads_or_refuses(path, lambda p: list(read_jsonl(p)))


@FUZZ
@given(data=st.binary(max_size=200))
def test_corpus_reader_on_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(data)
    _reads_or_refuses(path, lambda p: list(read_jsonl(p)))


BASE = random_taxonomy(12, height=2, seed=5).to_dict()


@FUZZ
@given(
    node=st.integers(min_value=0, max_value=len(BASE["nodes"]) - 1),
    key=st.sampled_from(["id", "parent", "volume", "cut", "skill", "count", "label", "extra"]),
    value=values,
    top=st.sampled_from(["height", "volume", "nodes", "schema", "stats", None]),
    top_value=values,
)
def test_taxonomy_loader_takes_only_what_its_writer_writes(
    tmp_path: Path, node: int, key: str, value: Any, top: str | None, top_value: Any
) -> None:
    body = json.loads(json.dumps(BASE))
    body["nodes"][node][key] = value
    if top is not None:
        body[top] = top_value
    path = tmp_path / "t.json"
    path.write_text(_dumps(body))
    try:
        taxonomy = load_taxonomy(path)
    except InputError as exc:
        _one_line_error_naming(path, exc)
        return
    # Accepted: then it is a tree its own writer reproduces, with finite figures.
    again = Taxonomy.from_dict(json.loads(json.dumps(taxonomy.to_dict(), allow_nan=False)))
    assert again.skills == taxonomy.skills


@FUZZ
@given(data=st.binary(max_size=300))
def test_taxonomy_loader_on_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(data)
    _reads_or_refuses(path, load_taxonomy)


TASK = json.loads(toolworld_tasks({2: 1})[0].model_dump_json())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a JSON value (dict keys and list indices), the value itself first."""
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


PLACES = [p for p in _paths(TASK) if p]


def _mutated(place: tuple[Any, ...], value: Any) -> str:
    """The JSON line of :data:`TASK` with ``value`` put at ``place``."""
    task = json.loads(json.dumps(TASK))
    parent = task
    for step in place[:-1]:
        parent = parent[step]
    parent[place[-1]] = value
    return _dumps(task)


@FUZZ
@given(place=st.sampled_from(PLACES), value=values, deep=st.integers(0, 3000))
def test_task_reader_reads_or_refuses_in_one_line(
    tmp_path: Path, place: tuple[Any, ...], value: Any, deep: int
) -> None:
    line = _mutated(place, value)
    if deep > 2000:  # a value nested far deeper than any writer produces, at the same place
        line = (
            line.replace(_dumps(value), "[" * deep + "]" * deep, 1)
            if _dumps(value) in line
            else line
        )
    path = tmp_path / "tasks.jsonl"
    path.write_text(line + "\n")
    _reads_or_refuses(path, load_tasks)


@FUZZ
@given(
    lines=st.lists(
        st.one_of(
            st.builds(_mutated, st.sampled_from(PLACES), values),
            st.just(json.dumps(TASK)),
            st.binary(max_size=30).map(lambda b: b.decode("latin-1")),
        ),
        max_size=6,
    )
)
def test_the_lenient_task_reader_accounts_for_every_line(tmp_path: Path, lines: list[str]) -> None:
    """``steps eval``'s reader: every non-blank line is a task or an invalid task named by its
    own file:line (never a line before or after it), or the file is one error line."""
    from steps_agents.evaluation.validity import read_eval_tasks

    path = tmp_path / "tasks.jsonl"
    body = "".join(line.replace("\n", " ").replace("\r", " ") + "\n" for line in lines)
    path.write_text(body, encoding="utf-8")
    try:
        read = read_eval_tasks(path)
    except InputError as exc:
        _one_line_error_naming(path, exc)
        return
    numbered = [n for n, text in enumerate(body.split("\n")[:-1], 1) if text.strip()]
    named = sorted(
        [int(loc.rsplit(":", 1)[1]) for loc in read.locations.values()]
        + [int(bad.location.rsplit(":", 1)[1]) for bad in read.invalid]
    )
    assert named == numbered
    assert all("\n" not in bad.reason for bad in read.invalid)
