"""Structured (pydantic) answers: native ``with_structured_output`` or a JSON-mode fallback.

Native: when the chat model overrides ``with_structured_output`` or ``bind_tools`` (OpenAI,
Anthropic, ...), the client uses ``model.with_structured_output(schema, include_raw=True)`` and
keeps the raw message for token accounting.

Fallback (models without tool calling, e.g. langchain-core's fake models, many local servers):
a system message carrying the schema's JSON Schema asks for one JSON object; the first balanced
``{...}`` in the reply (```json fences tolerated) is parsed and validated with pydantic. A reply
that fails is retried with the error fed back, then reported as
:class:`~steps_agents.errors.ModelOutputError`.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

FORMAT_MARKER = "Answer with exactly one JSON object"


class StructuredOutputInvalid(ValueError):
    """One reply that is not a valid instance of the schema (retryable)."""

    def __init__(self, problem: str, reply: str = "") -> None:
        super().__init__(problem)
        self.problem, self.reply = problem, reply


def supports_native(model: Any) -> bool:
    """True when ``model`` really implements structured output (not the base-class stub)."""
    if not isinstance(model, BaseChatModel):
        return callable(getattr(model, "with_structured_output", None))
    cls = type(model)
    return (
        cls.with_structured_output is not BaseChatModel.with_structured_output
        or cls.bind_tools is not BaseChatModel.bind_tools
    )


@functools.cache
def _schema_json(schema: type[BaseModel]) -> dict[str, Any]:
    return schema.model_json_schema()


def schema_json(schema: type[BaseModel]) -> dict[str, Any]:
    """``schema.model_json_schema()``, built once per schema class: pydantic rebuilds it on every
    call, which cost more CPU than the rest of a model call. A shallow copy of the cached dict
    (its nested values are shared: do not mutate them)."""
    return dict(_schema_json(schema))


@functools.cache
def format_instruction(schema: type[BaseModel]) -> str:
    """The system text that asks for one JSON object matching ``schema`` (built once per class)."""
    return (
        f"{FORMAT_MARKER} that validates against this JSON Schema, and nothing else"
        " (no prose, no code fences):\n"
        + json.dumps(schema_json(schema), sort_keys=True, separators=(",", ":"))
    )


def with_format_instruction(
    messages: list[BaseMessage], schema: type[BaseModel]
) -> list[BaseMessage]:
    """``messages`` with the format instruction appended to the leading system message (or
    prepended as a new one): some chat templates accept only one system message, first."""
    instruction = format_instruction(schema)
    if messages and isinstance(messages[0], SystemMessage) and isinstance(messages[0].content, str):
        first = SystemMessage(content=messages[0].content + "\n\n" + instruction)
        return [first, *messages[1:]]
    return [SystemMessage(content=instruction), *messages]


def correction_messages(reply: str, problem: str) -> list[BaseMessage]:
    """What a retry appends after a malformed reply, so the model can fix its own answer."""
    return [
        AIMessage(content=reply),
        HumanMessage(
            content=f"That answer was not valid: {problem}. {FORMAT_MARKER} matching the schema."
        ),
    ]


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def first_json_object(text: str) -> Any:
    """The first balanced JSON object in ``text`` (inside a ```json fence if there is one).

    Scans each ``{`` with :meth:`json.JSONDecoder.raw_decode`, so braces inside strings and
    trailing prose are handled by the JSON parser itself rather than by brace counting.
    Only a ``{`` outside every earlier unclosed ``{`` is tried: a reply cut off mid-object
    (``{"skills": [{"name": "a"}, {"na``) must fail, not parse as its inner ``{"name": "a"}``.
    """
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for match in re.finditer(r"\{", candidate):
            prefix = candidate[: match.start()]
            if prefix.count("{") > prefix.count("}"):
                continue  # inside an outer object that did not parse
            try:
                value, _ = decoder.raw_decode(candidate, match.start())
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise StructuredOutputInvalid("no JSON object found in the reply", text)


def message_text(message: Any) -> str:
    """The text of a chat message whose content is a string or a list of content blocks."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    return str(content)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def validate(schema: type[M], value: Any, reply: str = "") -> M:
    """``schema.model_validate(value)``, turning a ValidationError into a one-line problem."""
    if isinstance(value, schema):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    try:
        return schema.model_validate(value)
    except ValidationError as error:
        raise StructuredOutputInvalid(_describe(error), reply) from error


def parse_reply(schema: type[M], text: str) -> M:
    """Parse a JSON-mode reply: the first JSON object in ``text``, validated by ``schema``."""
    return validate(schema, first_json_object(text), text)
