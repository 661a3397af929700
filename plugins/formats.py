"""Built-in plugin: the sample output formats ``messages`` (default), ``sharegpt`` and ``alpaca``.

An output format is a callable ``render(sample) -> dict`` (one JSONL record) registered through
``register_output_formats``. Every format keeps ``id`` and puts the sample's full provenance
under ``metadata``, so any record can be traced back to its skills, run and judges.

- ``messages``: ``{"id", "messages": [{"role", "content"}, ...], "metadata"}`` (OpenAI chat),
  with ``"tools"`` (OpenAI function tools) beside ``messages`` when the sample calls tools;
- ``sharegpt``: ``{"id", "conversations": [{"from": "human"|"gpt"|"system", "value"}], ...}``;
- ``alpaca``: ``{"id", "instruction", "input", "output", "system", "history", "metadata"}``
  where ``instruction``/``output`` are the last user/assistant exchange and ``history`` the
  earlier ``[user, assistant]`` pairs (the multi-turn Alpaca convention of LLaMA-Factory).
"""

from __future__ import annotations

from typing import Any

import steps_agents
from steps_agents.synthesis.records import Sample

SHAREGPT_ROLES = {"user": "human", "assistant": "gpt", "system": "system", "tool": "tool"}


def _metadata(sample: Sample) -> dict[str, Any]:
    return sample.provenance.model_dump(mode="json")


def render_messages(sample: Sample) -> dict[str, Any]:
    tools = {"tools": [dict(t) for t in sample.tools]} if sample.tools else {}
    return {
        "id": sample.id,
        "messages": [dict(m) for m in sample.messages],
        **tools,
        "metadata": _metadata(sample),
    }


def render_sharegpt(sample: Sample) -> dict[str, Any]:
    conversations = [
        {
            "from": SHAREGPT_ROLES.get(str(m.get("role")), str(m.get("role"))),
            "value": m.get("content", ""),
        }
        for m in sample.messages
    ]
    return {"id": sample.id, "conversations": conversations, "metadata": _metadata(sample)}


def render_alpaca(sample: Sample) -> dict[str, Any]:
    system = "\n\n".join(
        str(m.get("content", "")) for m in sample.messages if m.get("role") == "system"
    )
    pairs: list[list[str]] = []
    pending: str | None = None
    for message in sample.messages:
        role, content = message.get("role"), str(message.get("content", ""))
        if role == "user":
            pending = content if pending is None else f"{pending}\n\n{content}"
        elif role == "assistant":
            pairs.append([pending or "", content])
            pending = None
    instruction, output = pairs[-1] if pairs else (pending or "", "")
    return {
        "id": sample.id,
        "instruction": instruction,
        "input": "",
        "output": output,
        "system": system,
        "history": pairs[:-1],
        "metadata": _metadata(sample),
    }


@steps_agents.hookimpl
def register_output_formats(register: Any) -> None:
    register(render_messages, name="messages")
    register(render_sharegpt, name="sharegpt")
    register(render_alpaca, name="alpaca")
