"""The ``sharegpt`` extractor: ShareGPT conversations with Hermes ``<tool_call>`` tags or
``function_call`` turns.

Specs:

- Hermes function calling (NousResearch, https://github.com/NousResearch/Hermes-Function-Calling,
  dataset ``NousResearch/hermes-function-calling-v1``): ``{"conversations": [{"from": "system",
  "value": "... <tools>[...]</tools> ..."}, {"from": "human", "value": ...}, {"from": "gpt",
  "value": "<tool_call>\\n{\\"name\\": \\"f\\", \\"arguments\\": {...}}\\n</tool_call>"},
  {"from": "tool", "value": "<tool_response>...</tool_response>"}, ...]}``. A ``gpt`` turn may
  hold several ``<tool_call>`` elements; their body is JSON, and in the published data often a
  Python dict (``{'arguments': {...}, 'name': 'f'}``), read as a literal.
- LLaMA-Factory's ShareGPT tool format (https://github.com/hiyouga/LLaMA-Factory, data/README.md):
  a ``{"from": "function_call", "value": "{\\"name\\": ..., \\"arguments\\": ...}"}`` turn (the
  value is one call or a list of calls, as JSON text or already parsed), answered by an
  ``observation`` turn.

The assistant speaker is ``gpt`` (or ``assistant``). The skills are the called names, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from steps_agents.plugins.traces.common import TraceExtractor, call_name, loads_lenient

ASSISTANT = frozenset({"gpt", "assistant"})
FUNCTION_CALL = "function_call"
# An unclosed final <tool_call> (a truncated generation) still counts up to the end of the turn.
TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)


def _turns(record: Mapping[str, Any]) -> Iterator[tuple[int, str, Any]]:
    conversations = record.get("conversations")
    if isinstance(conversations, list):
        for i, turn in enumerate(conversations):
            if isinstance(turn, Mapping):
                yield i, str(turn.get("from", "")), turn.get("value")


class ShareGPTExtractor(TraceExtractor):
    """Tool names called in a ShareGPT/Hermes conversation."""

    name = "sharegpt"
    auto_priority = 22
    expected = (
        "'conversations' with 'gpt' turns holding <tool_call> elements or 'function_call' turns"
    )

    @classmethod
    def shaped(cls, record: Mapping[str, Any]) -> bool:
        for _, speaker, value in _turns(record):
            if speaker == FUNCTION_CALL or (
                speaker in ASSISTANT and isinstance(value, str) and "<tool_call>" in value
            ):
                return True
        return False

    def tool_names(self, record: Mapping[str, Any]) -> list[str]:
        names: list[str] = []
        for i, speaker, value in _turns(record):
            where = f"conversations[{i}]"
            if speaker in ASSISTANT and isinstance(value, str):
                for n, match in enumerate(TOOL_CALL.finditer(value)):
                    at = f"{where} <tool_call> {n + 1}"
                    names.append(call_name(loads_lenient(match.group(1), at), at))
            elif speaker == FUNCTION_CALL:
                calls = loads_lenient(value, where) if isinstance(value, str) else value
                for call in calls if isinstance(calls, list) else [calls]:
                    names.append(call_name(call, where))
        return names
