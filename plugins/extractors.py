"""Built-in plugin: the ``tags``, ``tool_calls`` and ``lexicon`` skill extractors.

- ``tags``: pre-tagged records, ``{"skills": [...]}`` or ``{"label": {"ability": [...]}}``
  (``skills`` wins when both are present). Items are strings, or objects with a ``name``.
- ``tool_calls``: OpenAI chat trajectories, ``{"messages": [...]}``; the skills are the function
  names the assistant called (``tool_calls[].function.name``, also the flat ``tool_calls[].name``
  of LangChain messages and the legacy ``function_call.name``), in first-call order.
- ``lexicon``: free text (see :func:`steps_agents.corpus.extract.record_text`) matched against a skill
  vocabulary file given with ``--lexicon``. See :mod:`steps_agents.corpus.lexicon` for the file format.

Auto-detection order (``auto_priority``): tags 10, tool_calls 20, the other trace formats 21-25
(:mod:`steps_agents.plugins.traces`: anthropic, sharegpt, xlam, otel, mcp), lexicon 30 (only when
a lexicon is given and no ``--model``: with a model, free text goes to ``llm``, priority 40).
Every name is kept as spelled (see :func:`steps_agents.corpus.extract.normalise_skill`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import steps_agents
from steps_agents.corpus.extract import ExtractorOptions, RecordError, record_text
from steps_agents.corpus.lexicon import Lexicon
from steps_agents.errors import InputError
from steps_agents.hookspecs import Register


def _tag_list(record: Mapping[str, Any]) -> Any:
    if "skills" in record:
        return record["skills"]
    label = record.get("label")
    if isinstance(label, Mapping) and "ability" in label:
        return label["ability"]
    return None


class TagsExtractor:
    """Skills listed in the record itself (``skills`` or ``label.ability``)."""

    name = "tags"
    auto_priority = 10

    def __init__(self, options: ExtractorOptions) -> None:
        self.options = options

    @staticmethod
    def claims(record: Mapping[str, Any]) -> bool:
        return isinstance(_tag_list(record), list | str)

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        out = []
        for i, record in enumerate(records):
            tags = _tag_list(record)
            if tags is None:
                raise RecordError(i, "record has no 'skills' list and no 'label.ability' list")
            if isinstance(tags, str):  # a single tag written without brackets
                tags = [tags]
            if not isinstance(tags, list):
                raise RecordError(i, f"'skills' must be a list, got {type(tags).__name__}")
            if all(type(item) is str for item in tags):  # the common case, checked fast
                out.append(tags)
                continue
            skills = []
            for item in tags:
                if isinstance(item, Mapping):
                    item = item.get("name")
                if not isinstance(item, str):
                    raise RecordError(i, f"skill names must be strings, got {item!r}")
                skills.append(item)
            out.append(skills)
        return out


def _called_functions(record: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    messages = record.get("messages")
    if not isinstance(messages, list):
        return names
    for message in messages:
        if not isinstance(message, Mapping) or message.get("role") not in {"assistant", "ai"}:
            continue
        for call in message.get("tool_calls") or []:
            if not isinstance(call, Mapping):
                continue
            function = call.get("function")
            name = function.get("name") if isinstance(function, Mapping) else call.get("name")
            if isinstance(name, str):
                names.append(name)
        legacy = message.get("function_call")
        if isinstance(legacy, Mapping) and isinstance(legacy.get("name"), str):
            names.append(legacy["name"])
    return names


class ToolCallsExtractor:
    """The function names an assistant called in an OpenAI-format trajectory."""

    name = "tool_calls"
    auto_priority = 20

    def __init__(self, options: ExtractorOptions) -> None:
        self.options = options

    @staticmethod
    def claims(record: Mapping[str, Any]) -> bool:
        return bool(_called_functions(record))

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        out = []
        for i, record in enumerate(records):
            if not isinstance(record.get("messages"), list):
                raise RecordError(i, "record has no 'messages' list")
            out.append(_called_functions(record))
        return out


class LexiconExtractor:
    """Skills whose keywords or regexes occur in the record's free text."""

    name = "lexicon"
    auto_priority = 30

    def __init__(self, options: ExtractorOptions) -> None:
        if options.lexicon is None:
            raise InputError("the lexicon extractor needs a vocabulary file: pass --lexicon FILE")
        self.lexicon = Lexicon.load(options.lexicon)

    @staticmethod
    def available(options: ExtractorOptions) -> bool:
        # With --model too, auto leaves free text to the model (which then keeps to the lexicon's
        # vocabulary); --extractor lexicon still forces plain matching.
        return options.lexicon is not None and options.model is None

    @staticmethod
    def claims(record: Mapping[str, Any]) -> bool:
        return bool(record_text(record).strip())

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        return [self.lexicon.match(record_text(record)) for record in records]


@steps_agents.hookimpl
def register_skill_extractors(register: Register) -> None:
    register(TagsExtractor, name="tags")
    register(ToolCallsExtractor, name="tool_calls")
    register(LexiconExtractor, name="lexicon")
