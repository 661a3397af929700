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
from steps_agents.worlds.spec import ToolSpec

__all__ = [
    "describe_ref",
    "format_literal",
    "instruction_mentions_required_values",
    "missing_required_values",
    "render_instruction",
    "required_values",
    "task_trajectory",
    "text_parameters",
    "written_text",
]

_ORDINALS = ["first", "second", "third", "fourth", "fifth"]
FIELD_WORDS = {
    "from": "sender",
    "qty": "quantity",
    "id": "id",
    "rows": "number of rows",
    "email": "email address",
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_NOUN_PLACEHOLDER = re.compile(r"\bthe (\w+) \{(\w+)\}")


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
            words.append(f"the {FIELD_WORDS.get(part, part.replace('_', ' '))}")
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

    def noun_ref(match: re.Match[str]) -> str:
        noun, name = match.group(1), match.group(2)
        value = step.args.get(name)
        if not (isinstance(value, Mapping) and set(value) == {"$ref"}):
            return match.group(0)
        desc = describe_ref(str(value["$ref"]), order)
        # "the table {table}" fed by "s1.table" reads "the table from step 1", not "the table
        # the table from step 1"; any other reference reads "the table given by ...".
        return desc if desc.startswith(f"the {noun} ") else f"the {noun} given by {desc}"

    text = _PLACEHOLDER.sub(fill, _NOUN_PLACEHOLDER.sub(noun_ref, phrase)).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


INTROS = (
    "Use the available tools to carry out these steps in order:",
    "Please do the following with the tools you have, one step after another:",
    "I need your help with a small job. Using the tools, please:",
    "Work through these steps using the tools provided:",
    "Here is what I need done, in this order:",
)
SINGLE_INTROS = ("Using the available tools: ", "Please use the tools to do this: ", "")
CLOSINGS = (
    "Final answer: {what}. Reply with that value only.",
    "When you are done, reply with {what} and nothing else.",
    "Your answer should be {what}, on its own.",
)


def _answer_sentence(parts: Sequence[AnswerPart], order: Mapping[str, int], variant: int) -> str:
    if not parts:
        return 'No value needs to be reported: when everything is done, reply "done".'
    if len(parts) == 1:
        part = parts[0]
        what = describe_ref(part.step or part.key, order) if part.step else part.key
        if len(order) == 1:
            what = "the result"
        return CLOSINGS[variant % len(CLOSINGS)].format(what=what)
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
    *,
    variant: int = 0,
) -> str:
    """The template instruction for an oracle plan (see the module docstring). ``variant``
    picks one of a few equivalent wordings of the frame (intro, closing) so that template
    tasks do not all share the same boilerplate."""
    order = {step.id: n for n, step in enumerate(steps, start=1)}
    closing = _answer_sentence(answer, order, variant)
    if len(steps) == 1:
        intro = SINGLE_INTROS[variant % len(SINGLE_INTROS)]
        sentence = render_step(phrase(steps[0].tool), steps[0], order)
        if intro:
            sentence = intro + sentence[:1].lower() + sentence[1:]
        return f"{sentence}\n{closing}"
    lines = [INTROS[variant % len(INTROS)]]
    lines += [f"{n}. {render_step(phrase(s.tool), s, order)}" for n, s in enumerate(steps, 1)]
    lines.append(closing)
    return "\n".join(lines)


def written_text(value: Any) -> str:
    """How a world writes a value into a text field (a file, an email body): text as is,
    numbers plainly (at most 6 decimals, whole numbers without ``.0``), anything else as JSON
    with sorted keys. The toolworld's tools store exactly this."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = round(float(value), 6)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else str(number)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def text_parameters(spec: ToolSpec) -> set[str]:
    """Parameters that take text but accept any JSON value and write it as text ("other values
    as JSON"): their schema type lists ``string`` and ``array`` or ``object``. A parameter typed
    ``["string", "number"]`` (a filter value) is not one: its number stays a number."""
    out: set[str] = set()
    for name, schema in spec.parameters.get("properties", {}).items():
        kinds = schema.get("type") if isinstance(schema, Mapping) else None
        if isinstance(kinds, list) and "string" in kinds and {"array", "object"} & set(kinds):
            out.add(name)
    return out


def task_trajectory(task: Task, instruction: str | None = None) -> list[dict[str, Any]]:
    """The oracle solution as an OpenAI tool-call conversation: the user's instruction, one
    assistant tool call and one tool result per oracle step (arguments resolved, results as
    recorded when the task was built), and the final answer. A value fed into a text parameter
    (:func:`text_parameters`) is written as the text the tool stored (:func:`written_text`), so
    a model trained on it learns to send text, not a list, as an email body."""
    from steps_agents.worlds import oracle_answer, resolve_refs

    texts = {spec.name: text_parameters(spec) for spec in task.tools}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": task.instruction if instruction is None else instruction}
    ]
    results: dict[str, Any] = {}
    for n, step in enumerate(task.oracle, start=1):
        call_id = f"call_{n}"
        args = resolve_refs(step.args, results)
        if isinstance(args, dict):
            args = {
                k: written_text(v) if k in texts.get(step.tool, ()) else v for k, v in args.items()
            }
        results[step.id] = step.result
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": step.tool, "arguments": json.dumps(args)},
                    }
                ],
            }
        )
        messages.append(
            {"role": "tool", "tool_call_id": call_id, "content": json.dumps(step.result)}
        )
    answer = oracle_answer(task, results)
    final = "done" if answer is None else answer if isinstance(answer, str) else json.dumps(answer)
    messages.append({"role": "assistant", "content": final})
    return messages


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
