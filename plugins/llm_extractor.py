"""Built-in plugin: the ``llm`` skill extractor (free text -> skills, by any chat model).

Each record's free text (:func:`steps_agents.corpus.extract.record_text`) goes to the model given with
``--model SPEC`` as one structured-output request answered as :class:`ExtractedSkills`
(``skills: list[str]``). Batching: one request per record, and all requests of a batch are in
flight together (up to the client's concurrency limit) through the executor seam. One record per
request keeps the prompt, hence the cache key, independent of the batch size: changing
``--batch-size`` or resuming a partial run reuses every cached answer. The response cache is the
:class:`~steps_agents.models.ModelClient` one at ``options.cache_path``.

With ``--lexicon FILE`` the answer is constrained to that vocabulary: the allowed names are in
the prompt, and names outside it are dropped from the answer. A name the model gives is matched
to the vocabulary ignoring case and spacing, and kept in the vocabulary's own spelling.

Case: a model writes free text, so its answers are case-folded by default (``SQL querying`` and
``sql querying`` are one skill); ``casefold=false`` keeps the model's spelling (the other
extractors keep names exactly as found unless ``casefold=true``).

``options.extra`` may carry any :class:`~steps_agents.models.ModelOptions` field (``base_url``,
``api_key_env``, ``temperature`` (default 0 here), ``concurrency``, ``max_retries``, ``timeout``,
``backoff``, ``structured``), ``max_skills`` (default 8), ``max_chars`` (the text is cut to
this many characters, default 6000) and ``max_skill_chars`` (default 80); other keys are left to
other extractors.

Long names: a "skill" longer than ``max_skill_chars`` characters (after normalising) is a
sentence the model wrote in the wrong field, not a skill; it is dropped (truncating it would
invent a name), counted in :attr:`LLMExtractor.dropped_long`, and each batch that dropped any
prints one ``warning:`` line on stderr with that batch's count and the running total.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

import steps_agents
from steps_agents.corpus.extract import (
    ExtractorOptions,
    RecordError,
    flag_option,
    normalise_skill,
    record_text,
)
from steps_agents.errors import InputError, ModelCallError, ModelOutputError
from steps_agents.hookspecs import Register
from steps_agents.models import ModelOptions, open_model
from steps_agents.runtime.config import validate_or_raise
from steps_agents.runtime.executor import default_executor


class ExtractedSkills(BaseModel):
    """The structured answer: the skills the task needs."""

    skills: list[str] = Field(
        description="distinct skills the task needs, each a short lowercase noun phrase"
    )


SYSTEM_PROMPT = (
    "You label tasks with the skills needed to solve them. Read the task and list the distinct"
    " skills it requires, most important first, at most {max_skills}. Each skill is a short"
    " lowercase noun phrase (one to four words), such as 'sql querying' or 'unit conversion'."
)
VOCABULARY_PROMPT = " Use only skills from this list, spelled exactly as given: {names}."


class LLMExtractor:
    """Skills named by a chat model for each record's free text."""

    name = "llm"
    auto_priority = 40

    def __init__(self, options: ExtractorOptions) -> None:
        if not options.model:
            raise InputError("the llm extractor needs a chat model: pass --model SPEC")
        extra = dict(options.extra)
        self.max_skills = int(extra.pop("max_skills", 8))
        self.max_chars = int(extra.pop("max_chars", 6000))
        self.max_skill_chars = int(extra.pop("max_skill_chars", 80))
        self.dropped_long = 0  # names over max_skill_chars, over the whole run
        self._long_in_batch: list[str] = []
        self.casefold = flag_option(options, "casefold", True)
        self.vocabulary: tuple[str, ...] | None = None
        if options.lexicon is not None:
            from steps_agents.corpus.lexicon import Lexicon

            self.vocabulary = Lexicon.load(options.lexicon).skills
        model_options = validate_or_raise(
            ModelOptions,
            {
                "temperature": 0.0,
                **{k: v for k, v in extra.items() if k in ModelOptions.model_fields},
            },
            lambda field: f"--extractor-opt {field}" if field else "--extractor-opt",
        )
        self.client = open_model(options.model, model_options, cache_path=options.cache_path)
        system = SYSTEM_PROMPT.format(max_skills=self.max_skills)
        if self.vocabulary:
            system += VOCABULARY_PROMPT.format(names=", ".join(self.vocabulary))
        self.system = SystemMessage(content=system)

    @staticmethod
    def available(options: ExtractorOptions) -> bool:
        return bool(options.model)

    @staticmethod
    def claims(record: Mapping[str, Any]) -> bool:
        return bool(record_text(record).strip())

    @property
    def usage(self) -> Any:
        return self.client.usage

    def _keep(self, names: Sequence[str]) -> list[str]:
        """Normalised, deduplicated, vocabulary-filtered (in the vocabulary's spelling), at most
        ``max_skills``."""
        allowed = (
            {normalise_skill(v, True): v for v in self.vocabulary} if self.vocabulary else None
        )
        out: dict[str, None] = {}
        for raw in names:
            if allowed is None:
                name = normalise_skill(raw, self.casefold)
            else:
                name = allowed.get(normalise_skill(raw, True), "")
            if len(name) > self.max_skill_chars:
                self._long_in_batch.append(name)
                continue
            if name:
                out.setdefault(name, None)
        return list(out)[: self.max_skills]

    async def _one(self, item: tuple[int, str]) -> list[str]:
        index, text = item
        messages = [self.system, HumanMessage(content=text[: self.max_chars])]
        try:
            answer = await self.client.ainvoke(messages, schema=ExtractedSkills)
        except ModelOutputError as exc:
            raise RecordError(index, str(exc)) from None
        except ModelCallError as exc:
            if exc.item_specific:  # refused for this record's text: name its file:line
                raise RecordError(index, str(exc)) from None
            raise  # an outage or a bad key: one line naming the model ends the build
        return self._keep(answer.skills)

    async def _extract(self, texts: list[str]) -> list[list[str]]:
        # Identical texts in one batch (common in scraped corpora) cost one request: they would
        # all miss the cache together, since none has finished when the others start.
        first_index: dict[str, int] = {}
        for i, text in enumerate(texts):
            first_index.setdefault(text[: self.max_chars], i)
        unique = [(i, texts[i]) for i in first_index.values()]
        answers: dict[int, list[str]] = {}
        async for position, skills in default_executor().amap(
            self._one, unique, concurrency=self.client.options.concurrency
        ):
            answers[unique[position][0]] = skills
        return [list(answers[first_index[text[: self.max_chars]]]) for text in texts]

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        texts = []
        for i, record in enumerate(records):
            text = record_text(record)
            if not text.strip():
                raise RecordError(
                    i, "record has no free text ('instruction', 'prompt' or user 'messages')"
                )
            texts.append(text)
        self._long_in_batch = []
        skills = self.client.run(self._extract(texts))
        self._warn_long()
        return skills

    def _warn_long(self) -> None:
        """One line for the names of this batch dropped as too long (see the module doc)."""
        long = self._long_in_batch
        if not long:
            return
        self.dropped_long += len(long)
        example = long[0][:60] + ("..." if len(long[0]) > 60 else "")
        print(
            f"warning: llm extractor: dropped {len(long)} skill name(s) over"
            f" {self.max_skill_chars} characters in this batch ({self.dropped_long} in all),"
            f" e.g. {example!r}; raise --extractor-opt max_skill_chars=N to keep them",
            file=sys.stderr,
        )
        self._long_in_batch = []

    def close(self) -> None:
        self.client.close()


@steps_agents.hookimpl
def register_skill_extractors(register: Register) -> None:
    register(LLMExtractor, name="llm")
