"""``fake:echo``: an offline, deterministic stand-in for a chat model. NOT a real LLM.

It exists so that demos, examples and tests run with no network and no API key, and so that a
rerun gives byte-identical output. It understands nothing:

- a plain call answers with the text of the last human message (an echo);
- a structured call (``with_structured_output(schema)``) answers with an instance of the schema
  filled in from the JSON Schema alone: strings are runs of words taken from the last human message, numbers
  lie inside the declared bounds, enums and literals cycle through their values along a list
  (so a list of ``role`` fields alternates ``user``/``assistant``), lists get two items (or their
  declared minimum). Every choice is drawn from ``random.Random(sha256(prompt))``, so the same
  prompt always gets the same answer and different prompts different ones.

Token usage is reported as whitespace-separated word counts (input: every message; output: the
answer), so accounting code has something deterministic to add up.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel

from steps_agents.errors import InputError

SPEC_PREFIX = "fake:"
MODES = ("echo",)
_MAX_DEPTH = 6
_WORD = re.compile(r"\S+")


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)


def _words(messages: Sequence[BaseMessage]) -> int:
    return sum(len(_WORD.findall(_text(m))) for m in messages)


def _last_human(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return _text(message)
    return _text(messages[-1]) if messages else ""


class _Filler:
    """Fills a JSON Schema with deterministic values drawn from the prompt's words."""

    def __init__(self, root: Mapping[str, Any], prompt: str, source: str | None = None) -> None:
        self.root = root
        digest = hashlib.sha256(prompt.encode("utf-8")).digest()
        self.rng = random.Random(int.from_bytes(digest[:8], "big"))
        self.words = _WORD.findall(prompt if source is None else source) or ["offline"]

    def _deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            target: Any = self.root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def value(self, node: Mapping[str, Any], depth: int = 0, index: int = 0) -> Any:
        node = self._deref(node)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return node["enum"][index % len(node["enum"])]
        for key in ("anyOf", "oneOf"):
            if key in node:  # Optional[X] -> X: prefer a branch that is not null
                branches = [b for b in node[key] if self._deref(b).get("type") != "null"]
                return self.value((branches or node[key])[0], depth, index)
        if "allOf" in node:
            return self.value(node["allOf"][0], depth, index)
        kind = node.get("type", "object" if "properties" in node else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return getattr(self, f"_{kind}", self._string)(node, depth, index)

    def _object(self, node: Mapping[str, Any], depth: int, index: int) -> dict[str, Any]:
        properties = node.get("properties", {})
        required = set(node.get("required", properties))
        return {
            name: self.value(sub, depth + 1, index)
            for name, sub in properties.items()
            if name in required or depth < _MAX_DEPTH
        }

    def _array(self, node: Mapping[str, Any], depth: int, index: int) -> list[Any]:
        low = int(node.get("minItems", 0))
        high = int(node.get("maxItems", max(low, 2)))
        n = low if depth >= _MAX_DEPTH else max(low, min(2, high))
        items = node.get("items", {})
        return [self.value(items, depth + 1, i) for i in range(n)]

    def _string(self, node: Mapping[str, Any], depth: int, index: int) -> str:
        low = int(node.get("minLength", 1))
        high = int(node.get("maxLength", 10_000))
        start = self.rng.randrange(len(self.words))
        count = self.rng.randint(3, 12)
        text = " ".join((self.words * (count // len(self.words) + 2))[start : start + count])
        while len(text) < low:
            text = f"{text} {text}"
        return text[:high]

    def _bounds(self, node: Mapping[str, Any], step: float) -> tuple[float, float]:
        low = node.get("minimum", node.get("exclusiveMinimum", None))
        high = node.get("maximum", node.get("exclusiveMaximum", None))
        if "exclusiveMinimum" in node and "minimum" not in node:
            low = low + step
        if "exclusiveMaximum" in node and "maximum" not in node:
            high = high - step
        if low is None and high is None:
            low, high = 0, 9
        elif low is None:
            low = high - 9
        elif high is None:
            high = low + 9
        return float(low), float(high)

    def _integer(self, node: Mapping[str, Any], depth: int, index: int) -> int:
        low, high = self._bounds(node, 1)
        return self.rng.randint(int(low), int(high))

    def _number(self, node: Mapping[str, Any], depth: int, index: int) -> float:
        low, high = self._bounds(node, 0.01)
        return round(self.rng.uniform(low, high), 2)

    def _boolean(self, node: Mapping[str, Any], depth: int, index: int) -> bool:
        return self.rng.random() < 0.5

    def _null(self, node: Mapping[str, Any], depth: int, index: int) -> None:
        return None


def fill_schema(schema: Mapping[str, Any], prompt: str, source: str | None = None) -> Any:
    """A deterministic value for JSON Schema ``schema``: choices seeded by ``prompt``, words
    taken from ``source`` (default: the prompt itself)."""
    return _Filler(schema, prompt, source).value(schema)


class OfflineEchoModel(BaseChatModel):
    """The ``fake:echo`` model: deterministic, offline, not a real LLM (see the module doc)."""

    mode: str = "echo"

    @property
    def _llm_type(self) -> str:
        return "steps-agents-offline-echo"

    def _answer(self, messages: Sequence[BaseMessage], content: str) -> AIMessage:
        words_in, words_out = _words(messages), len(_WORD.findall(content))
        usage = {
            "input_tokens": words_in,
            "output_tokens": words_out,
            "total_tokens": words_in + words_out,
        }
        return AIMessage(content=content, usage_metadata=usage)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._answer(messages, _last_human(messages))
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise TypeError("the offline model fills pydantic schemas only")
        json_schema = schema.model_json_schema()

        def answer(value: LanguageModelInput) -> Any:
            messages = self._convert_input(value).to_messages()
            prompt = "\n".join(_text(m) for m in messages)
            data = fill_schema(json_schema, prompt, _last_human(messages))
            raw = self._answer(messages, json.dumps(data, sort_keys=True))
            parsed = schema.model_validate(data)
            return {"raw": raw, "parsed": parsed, "parsing_error": None} if include_raw else parsed

        return RunnableLambda(answer)


def make_offline_model(spec: str, options: Mapping[str, Any]) -> OfflineEchoModel:
    mode = spec[len(SPEC_PREFIX) :]
    if mode not in MODES:
        known = ", ".join(SPEC_PREFIX + m for m in MODES)
        raise InputError(f"unknown offline model {spec!r}; available: {known}")
    return OfflineEchoModel(mode=mode)
