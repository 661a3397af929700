"""The deterministic checker: does an answer (and a final state) match what the oracle produced?

An agent's answer may be a Python value or text. Text is read leniently but never guessed at:
a JSON value (also inside a fenced code block, or the last ``{...}`` object in the text) is
parsed; otherwise the text itself is the answer. With one answer part the answer is the value
itself (or an object holding it under the part's key); with several parts it must be an object
with one key per part.

Comparison rules (``AnswerPart.rule`` / ``StateCheck.rule``):

- ``exact``: strings equal after trimming, case-folding, collapsing white space and dropping
  surrounding quotes and a final full stop; numbers equal within ``tolerance * max(1, |e|)``
  (``"42"`` equals ``42``); lists element-wise; objects key-wise.
- ``numeric``: ``|a - e| <= tolerance * max(1, |e|)``; a text answer counts by its number (the
  whole text, else the last number written in it).
- ``set``: the same elements in any order (a text answer may list them separated by commas,
  semicolons or new lines).

A list the oracle wrote into a text field (a file line, an email body) is stored by the world
as JSON (``["2026-03-30"]``), but a user asking to "put the dates in the body" expects any of
the usual renderings: an expected text with a line holding a JSON list of scalars also matches
that line written one item per line, comma-separated or as compact JSON
(:func:`list_renderings`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from steps_agents.worlds.records import CheckOutcome, Task, resolve_path
from steps_agents.worlds.spec import ToolError

__all__ = [
    "ABSENT",
    "check",
    "compare",
    "json_copy",
    "list_renderings",
    "parse_answer",
    "state_diff",
]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")
_MISSING = object()


def parse_answer(answer: Any) -> Any:
    """A text answer as a JSON value when it holds one, else the stripped text."""
    if not isinstance(answer, str):
        return answer
    text = answer.strip()
    candidates = [m.group(1).strip() for m in _FENCE.finditer(text)] + [text]
    brace = text.rfind("{")
    if brace > 0:
        end = text.rfind("}")
        if end > brace:
            candidates.append(text[text.find("{") : end + 1])
            candidates.append(text[brace : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except (ValueError, TypeError):
            continue
    return text


def _norm_text(value: str) -> str:
    text = " ".join(value.split()).strip()
    text = text.strip("`\"'").strip()
    if text.endswith(".") and not _NUMBER.fullmatch(text):
        text = text[:-1]
    return text.casefold()


def _to_number(value: Any, *, loose: bool) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list) and len(value) == 1:
        return _to_number(value[0], loose=loose)
    if isinstance(value, str):
        text = _norm_text(value).replace(",", "")
        try:
            return float(text)
        except ValueError:
            pass
        if loose:
            found = _NUMBER.findall(value)
            if found:
                try:
                    return float(found[-1].replace(",", ""))
                except ValueError:
                    return None
    return None


def _close(a: float, e: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(e):
        return False
    return abs(a - e) <= tolerance * max(1.0, abs(e))


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        parsed = parse_answer(value)
        if isinstance(parsed, list):
            return parsed
        parts = [p for p in re.split(r"[,;\n]", value) if p.strip()]
        return parts
    return None


def _equal(actual: Any, expected: Any, tolerance: float) -> bool:
    if isinstance(expected, bool):
        if isinstance(actual, str):
            return _norm_text(actual) in ({"true", "yes"} if expected else {"false", "no"})
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, (int, float)):
        number = _to_number(actual, loose=False)
        return number is not None and _close(number, float(expected), tolerance)
    if isinstance(expected, str):
        if isinstance(actual, (str, int, float)) and not isinstance(actual, bool):
            got = _norm_text(str(actual))
            return got == _norm_text(expected) or (
                "[" in expected and any(got == _norm_text(r) for r in list_renderings(expected))
            )
        return False
    if expected is None:
        return actual is None or (
            isinstance(actual, str) and _norm_text(actual) in {"none", "null"}
        )
    if isinstance(expected, (list, tuple)):
        items = actual if isinstance(actual, (list, tuple)) else None
        if isinstance(actual, str):
            parsed = parse_answer(actual)
            items = parsed if isinstance(parsed, list) else None
        return (
            items is not None
            and len(items) == len(expected)
            and all(_equal(a, e, tolerance) for a, e in zip(items, expected, strict=True))
        )
    if isinstance(expected, Mapping):
        if isinstance(actual, str):
            actual = parse_answer(actual)
        if not isinstance(actual, Mapping):
            return False
        folded = {str(k).casefold(): v for k, v in actual.items()}
        return len(folded) == len(expected) and all(
            str(k).casefold() in folded and _equal(folded[str(k).casefold()], v, tolerance)
            for k, v in expected.items()
        )
    return bool(actual == expected)


_MAX_RENDERINGS = 64  # a text with many list lines: enough combinations for any real case


def _scalar_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def list_renderings(text: str) -> list[str]:
    """``text`` with each line that is a JSON list of scalars (``["a", "b"]``) written in the
    other usual ways: one item per line, ``a, b`` and compact JSON. Only the alternatives are
    returned (at most 64 texts); a text without such a line gives ``[]``."""
    lines = text.split("\n")
    options: list[list[str]] = []
    for line in lines:
        stripped = line.strip()
        items: Any = None
        if stripped.startswith("[") and stripped.endswith("]"):
            try:
                items = json.loads(stripped)
            except ValueError:
                items = None
        if isinstance(items, list) and all(
            isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in items
        ):
            words = [_scalar_text(i) for i in items]
            compact = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
            options.append([line, "\n".join(words), ", ".join(words), compact])
        else:
            options.append([line])
    if all(len(o) == 1 for o in options):
        return []
    texts = [""]
    for n, choices in enumerate(options):
        texts = [t + ("\n" if n else "") + c for t in texts for c in choices][:_MAX_RENDERINGS]
    return [t for t in texts if t != text]


def _canon(value: Any) -> str:
    if isinstance(value, str):
        number = _to_number(value, loose=False)
        return repr(round(number, 6)) if number is not None else _norm_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(round(float(value), 6))
    return json.dumps(value, sort_keys=True, default=str).casefold()


def compare(actual: Any, expected: Any, rule: str, tolerance: float = 1e-6) -> bool:
    """``True`` when ``actual`` matches ``expected`` under ``rule`` (see the module docstring)."""
    if rule == "numeric":
        number = _to_number(actual, loose=True)
        target = _to_number(expected, loose=False)
        return number is not None and target is not None and _close(number, target, tolerance)
    if rule == "set":
        items, wanted = _as_list(actual), _as_list(expected)
        if items is None or wanted is None:
            return False
        return {_canon(x) for x in items} == {_canon(x) for x in wanted}
    return _equal(actual, expected, tolerance)


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _pick(parsed: Any, key: str, n_parts: int, expected: Any) -> Any:
    if isinstance(parsed, Mapping) and not isinstance(expected, Mapping):
        folded = {str(k).casefold(): v for k, v in parsed.items()}
        if key.casefold() in folded:
            return folded[key.casefold()]
        if n_parts > 1 or len(folded) != 1:
            return _MISSING
        return next(iter(folded.values()))
    return parsed if n_parts == 1 else _MISSING


def check(task: Task, answer: Any, final_state: Mapping[str, Any] | None) -> CheckOutcome:
    """Check ``answer`` and ``final_state`` against ``task.checker``; every part must pass.

    ``reason`` is ``"ok"`` or the first failure in one line; ``details`` lists every part.
    """
    details: list[dict[str, Any]] = []
    parts = task.checker.answer
    parsed = parse_answer(answer)
    for part in parts:
        got = _pick(parsed, part.key, len(parts), part.value)
        if got is _MISSING and isinstance(answer, str) and len(parts) == 1:
            got = answer
        ok = got is not _MISSING and compare(got, part.value, part.rule, part.tolerance)
        details.append(
            {
                "what": f"answer {part.key}",
                "passed": ok,
                "expected": part.value,
                "got": None if got is _MISSING else got,
                "missing": got is _MISSING,
                "step": part.step,
            }
        )
    for fact in task.checker.state:
        where = "/".join(map(str, fact.path))
        try:
            value = resolve_path(final_state or {}, list(fact.path), what=f"state {where}")
            ok = not fact.absent and compare(value, fact.expected, fact.rule, fact.tolerance)
            missing = False
        except ToolError:
            value, ok, missing = None, fact.absent, not fact.absent
        details.append(
            {
                "what": f"state {where}",
                "passed": ok,
                "expected": "(absent)" if fact.absent else fact.expected,
                "got": value,
                "missing": missing,
            }
        )
    failed = [d for d in details if not d["passed"]]
    if not failed:
        return CheckOutcome(passed=True, reason="ok", details=details)
    first = failed[0]
    if first["missing"]:
        reason = f"{first['what']}: missing"
    else:
        reason = (
            f"{first['what']}: expected {_short(first['expected'])}, got {_short(first['got'])}"
        )
    if len(failed) > 1:
        reason += f" (and {len(failed) - 1} more)"
    return CheckOutcome(passed=False, reason=reason, details=details)


ABSENT = object()  # a deleted key in state_diff


def state_diff(
    before: Any, after: Any, path: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], Any]]:
    """Changed leaves between two JSON states: ``[(path, new value or ABSENT)]``. Dicts are
    walked key by key; any other changed value (a list, a scalar) is one leaf."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        out: list[tuple[tuple[Any, ...], Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            if key not in after:
                out.append(((*path, key), ABSENT))
            elif key not in before:
                out.append(((*path, key), after[key]))
            elif before[key] != after[key]:
                out.extend(state_diff(before[key], after[key], (*path, key)))
        return out
    return [] if before == after else [(path, after)]


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars), several times faster than
    :func:`copy.deepcopy`, which the composer and the plan rules call per step and per trial.
    Tuples come back as lists (JSON has no tuples); any other object is shared, not copied."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_copy(v) for v in value]
    return value
