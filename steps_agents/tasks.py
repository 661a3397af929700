"""Task text: template instructions for executable plans, and the check that an instruction
states every value the solution needs.

A template instruction numbers the oracle's steps, renders each with the world's phrase for
the tool (``"read the file {path}"``), literal arguments quoted, references as the earlier
result they name (``"the total from step 2"``), and ends with what the final answer is.

*Required values* of a task are the literal leaves of the oracle's arguments (strings and
numbers; booleans are rendered in words) plus, for a multi-part answer, the keys the answer
object must use: an agent cannot find them with the tools, so the instruction must state them.
:func:`missing_required_values` lists those the instruction omits; the critic rejects a task
whose list is not empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from steps_agents.worlds import AnswerPart, OracleStep, StateCheck, Task

__all__ = [
    "describe_ref",
    "format_literal",
    "instruction_mentions_required_values",
    "missing_required_values",
    "render_instruction",
    "required_values",
]

_ORDINALS = ["first", "second", "third", "fourth", "fifth"]
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _step_no(step_id: str, order: Mapping[str, int]) -> str:
    return f"step {order.get(step_id, step_id)}"


def describe_ref(ref: str, order: Mapping[str, int]) -> str:
    """``"s2"`` -> ``"the result of step 2"``; ``"s2.total"`` -> ``"the total from step 2"``;
    ``"s1.0.sku"`` -> ``"the sku of the first item from step 1"``."""
    head, *path = ref.split(".")
    where = _step_no(head, order)
    if not path:
        return f"the result of {where}"
    words: list[str] = []
    for part in reversed(path):
        if part.lstrip("-").isdigit():
            n = int(part)
            words.append(f"the {_ORDINALS[n] if 0 <= n < len(_ORDINALS) else f'item {n + 1}'} item")
        else:
            words.append(f"the {part.replace('_', ' ')}")
    return " of ".join(words) + f" from {where}"


def format_literal(value: Any) -> str:
    """How a literal argument appears in an instruction: strings double-quoted (multi-line ones
    between triple quotes on their own lines), numbers plain."""
    if isinstance(value, str):
        if "\n" in value:  # keep line breaks readable (and findable) in the instruction
            return f'\n"""\n{value}\n"""\n'
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _render_value(value: Any, order: Mapping[str, int]) -> str:
    if isinstance(value, Mapping) and set(value) == {"$ref"}:
        return describe_ref(str(value["$ref"]), order)
    if isinstance(value, list):
        return "[" + ", ".join(_render_value(v, order) for v in value) + "]"
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False)
    return format_literal(value)


def render_step(phrase: str, step: OracleStep, order: Mapping[str, int]) -> str:
    """One step's sentence from the tool's phrase template."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in step.args:
            return match.group(0)
        return _render_value(step.args[name], order)

    text = _PLACEHOLDER.sub(fill, phrase).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _answer_sentence(parts: Sequence[AnswerPart], order: Mapping[str, int]) -> str:
    if not parts:
        return 'No value needs to be reported: when everything is done, reply "done".'
    if len(parts) == 1:
        part = parts[0]
        what = describe_ref(part.step or part.key, order) if part.step else part.key
        return f"Final answer: {what}. Reply with that value only."
    keys = [
        f'"{p.key}" ({describe_ref(p.step, order) if p.step else p.description or p.key})'
        for p in parts
    ]
    return (
        "Final answer: a JSON object with the keys "
        + ", ".join(keys[:-1])
        + " and "
        + keys[-1]
        + "."
    )


def render_instruction(
    steps: Sequence[OracleStep],
    phrase: Callable[[str], str],
    answer: Sequence[AnswerPart],
    state: Sequence[StateCheck] = (),
) -> str:
    """The template instruction for an oracle plan (see the module docstring)."""
    order = {step.id: n for n, step in enumerate(steps, start=1)}
    lines = ["Use the available tools to carry out these steps in order:"]
    lines += [f"{n}. {render_step(phrase(s.tool), s, order)}" for n, s in enumerate(steps, 1)]
    lines.append(_answer_sentence(answer, order))
    return "\n".join(lines)


def _literals(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping):
        if set(value) == {"$ref"}:
            return
        for v in value.values():
            yield from _literals(v)
    elif isinstance(value, list):
        for v in value:
            yield from _literals(v)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (str, int, float)):
        yield value


def required_values(task: Task) -> list[Any]:
    """Values the instruction must state: literal oracle arguments, and the answer keys when
    the answer has several parts. Order of first appearance, duplicates removed."""
    seen: list[Any] = []
    for step in task.oracle:
        for value in _literals(step.args):
            if value not in seen:
                seen.append(value)
    if len(task.checker.answer) > 1:
        seen.extend(p.key for p in task.checker.answer if p.key not in seen)
    return seen


def _mentions(text: str, folded: str, numbers: list[float], value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in folded
    target = float(value)
    return any(abs(n - target) <= 1e-9 * max(1.0, abs(target)) for n in numbers)


def missing_required_values(task: Task, instruction: str | None = None) -> list[Any]:
    """The required values (:func:`required_values`) that ``instruction`` (default: the task's)
    does not mention. Strings match case-insensitively as substrings; numbers by value."""
    text = task.instruction if instruction is None else instruction
    folded = text.casefold()
    numbers = [float(m) for m in _NUMBER.findall(text)]
    return [v for v in required_values(task) if not _mentions(text, folded, numbers, v)]


def instruction_mentions_required_values(task: Task, instruction: str | None = None) -> bool:
    """``True`` when the instruction states every value the solution needs."""
    return not missing_required_values(task, instruction)
