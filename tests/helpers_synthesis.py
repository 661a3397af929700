"""Test doubles for the synthesis tests: a fake chat model that writes plausible samples.

:class:`SynthFakeModel` is a langchain-core ``BaseChatModel`` without native structured output,
so the ModelClient uses its JSON-mode fallback and the fake sees the schema in the system
message. It answers the instruct mode (``InstructDraft``: a conversation of seeded random
English words naming the skills, so no two items are near-duplicates), the coverage judge
(every skill exercised) and the rubric judge (score 8). Knobs:

- ``latency``: seconds per call (``asyncio.sleep`` in async calls);
- ``counter``: a file that gets one line per call (``<prompt hash> <schema>``), appended and
  flushed, so a test can count calls across a killed subprocess;
- ``malformed_skills``: prompts naming one of these skills get an answer that is not JSON;
- ``language``: ``"fr"`` writes French-looking text instead.

``slow_model`` is the ``module:attribute`` factory the kill test's subprocess uses; it reads the
knobs from ``STEPS_FAKE_*`` environment variables.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr


def _split(text: str) -> list[str]:
    return text.split()


EN_WORDS = _split(
    "the and of to is in that it for you with this are be on as have not or by an what can "
    "your at from which will if how we they there would should data table report value "
    "result plan budget team customer query list sort merge count average chart trend file "
    "record step check rule case test error field column row total price order date week "
    "month city river garden school project market letter email summary review model graph "
    "path node tree score"
)
FR_WORDS = _split(
    "le la les des et est une un du que qui dans pour pas sur avec ce cette sont vous nous "
    "il elle au aux mais ou comme plus par maison jardin école projet marché lettre résumé"
)


def _text(seed: str, words: list[str], n: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(words) for _ in range(n)) + "."


def _skills_from(prompt: str) -> list[str]:
    numbered = re.findall(r"^\d+\. (.+)$", prompt, re.MULTILINE)
    return numbered or re.findall(r"^- (.+)$", prompt, re.MULTILINE)


class SynthFakeModel(BaseChatModel):
    latency: float = 0.0
    counter: str | None = None
    malformed_skills: list[str] = []
    language: str = "en"
    _seen: list[str] = PrivateAttr(default_factory=list)

    @property
    def prompts(self) -> list[str]:
        """Every prompt this model answered (all messages joined), in call order."""
        return self._seen

    @property
    def _llm_type(self) -> str:
        return "synth-fake"

    def _answer(self, messages: list[BaseMessage]) -> str:
        text = "\n".join(str(m.content) for m in messages)
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        skills = _skills_from(text)
        self._seen.append(text)
        if self.counter:
            with open(self.counter, "a", encoding="utf-8") as handle:
                schema = next(
                    (s for s in ("InstructDraft", "CoverageAnswer", "RubricAnswer") if s in text),
                    "text",
                )
                handle.write(f"{digest} {schema} {','.join(sorted(skills))}\n")
                handle.flush()
        if "CoverageAnswer" in text:
            return json.dumps({"skills": [{"skill": s, "exercised": True} for s in skills]})
        if "RubricAnswer" in text:
            return json.dumps({"rationale": "solid and uses every skill", "score": 8})
        if any(s in skills for s in self.malformed_skills):
            return "Sorry, I cannot produce JSON today."
        words = FR_WORDS if self.language == "fr" else EN_WORDS
        user = f"Help me with {', '.join(skills)}: " + _text(digest + "u", words, 40)
        assistant = _text(digest + "a", words, 60)
        return json.dumps(
            {
                "scenario": "a small project",
                "messages": [
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": assistant},
                ],
            }
        )

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        if self.latency:
            time.sleep(self.latency)
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=self._answer(messages)))]
        )

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        if self.latency:
            await asyncio.sleep(self.latency)
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=self._answer(messages)))]
        )


def slow_model() -> SynthFakeModel:
    """The kill test's model (``helpers_synthesis:slow_model``), configured from the environment."""
    return SynthFakeModel(
        latency=float(os.environ.get("STEPS_FAKE_LATENCY", "0.05")),
        counter=os.environ.get("STEPS_FAKE_COUNTER") or None,
    )


class OutageError(Exception):
    """Shaped like a provider SDK's HTTP error (``status_code``), as the retry layer expects."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"Error code: {status_code} - service unavailable")
        self.status_code = status_code


class OutageModel(SynthFakeModel):
    """A good synthesis model for its first ``ok_calls`` calls, then ``OutageError(status)``
    on every call (the ``counter`` file counts only the answered calls)."""

    ok_calls: int = 12
    status: int = 500
    _calls: int = PrivateAttr(default=0)

    def _answer(self, messages: list[BaseMessage]) -> str:
        self._calls += 1
        if self._calls > self.ok_calls:
            raise OutageError(self.status)
        return super()._answer(messages)


def outage_model() -> OutageModel:
    """``helpers_synthesis:outage_model``: knobs from ``STEPS_FAKE_OK_CALLS``,
    ``STEPS_FAKE_STATUS`` and ``STEPS_FAKE_COUNTER``."""
    return OutageModel(
        ok_calls=int(os.environ.get("STEPS_FAKE_OK_CALLS", "12")),
        status=int(os.environ.get("STEPS_FAKE_STATUS", "500")),
        counter=os.environ.get("STEPS_FAKE_COUNTER") or None,
    )


def read_calls(path: str | os.PathLike[str]) -> list[tuple[str, str, frozenset[str]]]:
    """The counter file as ``(prompt digest, schema, skills)`` per call."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        digest, schema, *rest = line.split(" ")
        skills = frozenset(rest[0].split(",")) if rest and rest[0] else frozenset()
        out.append((digest, schema, skills))
    return out


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
