"""Built-in plugin: the synthesis judges ``format``, ``language``, ``coverage``, ``dedup``, ``rubric``.

Each is registered as a factory ``cls(options)`` (options: ``[synth.judge_options.NAME]``) and
follows :class:`steps_agents.synthesis.judge_protocol.Judge`. All abstain (return ``None``) when they
cannot decide: no text to read, no model for a model judge, too little text for a language.

- ``format``: chat structure (roles, non-empty contents, user first, assistant last, a length
  bound) and, when the mode declares a ``draft_schema``, the draft validated against it;
- ``language``: :func:`steps_agents.synthesis.language.detect_language` must find the run's
  language (``--language``, default ``en``) in the messages' prose (tool results and JSON
  answers, world data, are left out);
- ``coverage``: is every claimed skill really exercised? Through a skill extractor
  (``extractor = "lexicon"`` with its options) or, by default when a model is present, the
  model answering per skill with evidence; passes when the covered fraction reaches
  ``min_coverage`` (default 1.0);
- ``dedup``: MinHash near-duplicate detection (:mod:`steps_agents.synthesis.dedup`) against the
  samples accepted so far in the run and, with ``corpus = true`` (default), the corpus;
- ``rubric``: the model scores the sample 1-10 with a rationale, SkillBench style; passes at
  ``min_score`` (default 6).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import steps_agents
from steps_agents.records import Verdict
from steps_agents.synthesis.dedup import MinHashIndex
from steps_agents.synthesis.judge_protocol import JudgeContext, JudgeInput
from steps_agents.synthesis.language import detect_language
from steps_agents.synthesis.plugin_options import PluginOptions, plugin_options

ROLES = {"system", "user", "assistant", "tool"}


class JudgeOptions(PluginOptions):
    """Base of every judge's ``[synth.judge_options.NAME]`` model: unknown keys are refused
    (``docs/formats.md``), numbers must be finite."""


def judge_options(name: str, cls: type[JudgeOptions], options: Mapping[str, Any] | None) -> Any:
    """``options`` validated by ``cls``; a bad key or value is one :class:`InputError` line at
    ``judge_options.NAME.FIELD``."""
    return plugin_options(cls, options, f"judge_options.{name}", f"judge {name!r}")


class FormatOptions(JudgeOptions):
    max_chars: int = Field(default=40_000, ge=1)
    min_turns: int = Field(default=2, ge=1)


class LanguageOptions(JudgeOptions):
    language: str | None = None
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class CoverageOptions(JudgeOptions):
    """``extractor`` and, beside it, that extractor's options (``lexicon``, ...)."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    min_coverage: float = Field(default=1.0, ge=0.0, le=1.0)
    method: str = Field(default="auto", pattern="^(auto|model|extractor)$")
    extractor: str | None = None

    @model_validator(mode="after")
    def _known_extractor_options(self) -> CoverageOptions:
        from steps_agents.corpus.extract import ExtractorOptions

        unknown = sorted(set(self.model_extra or {}) - set(ExtractorOptions.model_fields))
        if unknown:
            raise ValueError(f"unknown option {unknown[0]!r}")
        return self


class DedupOptions(JudgeOptions):
    threshold: float = Field(default=0.8, ge=0.0, le=1.0)
    corpus: bool = True
    max_corpus_records: int = Field(default=200_000, ge=0)
    num_perm: int = Field(default=64, ge=1, le=4096)
    bands: int = Field(default=16, ge=1)
    shingle: int = Field(default=3, ge=1, le=64)
    seed: int = 0

    @model_validator(mode="after")
    def _bands_divide_num_perm(self) -> DedupOptions:
        if self.num_perm % self.bands:
            raise ValueError(
                f"num_perm ({self.num_perm}) must be a multiple of bands ({self.bands})"
            )
        return self


class RubricOptions(JudgeOptions):
    min_score: float = Field(default=6, ge=1, le=10)


class FormatJudge:
    name = "format"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = judge_options(self.name, FormatOptions, options)
        self.max_chars, self.min_turns = opts.max_chars, opts.min_turns

    async def judge(self, sample: JudgeInput, ctx: JudgeContext) -> Verdict | None:
        schema = getattr(ctx.mode, "draft_schema", None)
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            try:
                schema.model_validate(sample.draft)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(map(str, first.get("loc", ()))) or "draft"
                return Verdict(
                    judge=self.name, passed=False, reason=f"schema: {where}: {first['msg']}"
                )
        messages = list(sample.messages)
        problems = []
        if len(messages) < self.min_turns:
            problems.append(f"{len(messages)} messages, need at least {self.min_turns}")
        for i, message in enumerate(messages):
            role, content = message.get("role"), message.get("content")
            if role not in ROLES:
                problems.append(f"message {i} has role {role!r}")
            empty = not isinstance(content, str) or not content.strip()
            if empty and not message.get("tool_calls"):
                problems.append(f"message {i} is empty")
        chat = [m.get("role") for m in messages if m.get("role") != "system"]
        if chat and chat[0] != "user":
            problems.append("the first non-system message is not from the user")
        if chat and chat[-1] != "assistant":
            problems.append("the last message is not from the assistant")
        size = len(sample.text)
        if size > self.max_chars:
            problems.append(f"{size} characters, limit {self.max_chars}")
        if problems:
            return Verdict(judge=self.name, passed=False, reason="; ".join(problems))
        return Verdict(judge=self.name, passed=True, reason="well-formed", details={"chars": size})


class LanguageJudge:
    name = "language"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = judge_options(self.name, LanguageOptions, options)
        self.language, self.min_confidence = opts.language, opts.min_confidence

    async def judge(self, sample: JudgeInput, ctx: JudgeContext) -> Verdict | None:
        target = self.language or ctx.language
        found = detect_language(_prose(sample))
        if found is None or found.confidence < self.min_confidence:
            return None
        details = {"detected": found.language, "confidence": round(found.confidence, 3)}
        if found.language == target:
            return Verdict(judge=self.name, passed=True, reason=f"{target}", details=details)
        return Verdict(
            judge=self.name,
            passed=False,
            reason=f"written in {found.language}, expected {target}",
            details=details,
        )


def _prose(sample: JudgeInput) -> str:
    """What was written in a language: every message but tool results and contents that are a
    JSON document (an agentic answer), which hold world data such as customer names."""
    out = []
    for message in sample.messages:
        content = message.get("content")
        if message.get("role") == "tool" or not isinstance(content, str):
            continue
        try:
            json.loads(content)
        except ValueError:
            out.append(content)
    return "\n".join(out)


class SkillCheck(BaseModel):
    skill: str
    exercised: bool
    evidence: str = ""


class CoverageAnswer(BaseModel):
    # Required, no default: a reply without it (``{"unexpected": 1}``) is a wrong-schema answer
    # to retry, not a verdict that no skill was exercised.
    skills: list[SkillCheck]


COVERAGE_PROMPT = """\
Here is a conversation between a user and an assistant, and a list of skills. For EACH skill, \
say whether answering this conversation well genuinely requires that skill (exercised = true) \
or whether it is absent or only mentioned in passing (exercised = false); quote or point to the \
evidence in one short sentence.

Skills:
{skills}

Conversation:
{conversation}"""


def _conversation(sample: JudgeInput) -> str:
    return "\n\n".join(f"[{m.get('role')}]\n{m.get('content', '')}" for m in sample.messages)


class CoverageJudge:
    name = "coverage"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = judge_options(self.name, CoverageOptions, options)
        self.min_coverage, self.method = opts.min_coverage, opts.method
        self.extractor_name = opts.extractor
        self.extractor_options = dict(opts.model_extra or {})
        self._extractor: Any = None

    def _extract(self, sample: JudgeInput, ctx: JudgeContext) -> set[str]:
        from steps_agents.corpus.extract import ExtractorOptions, normalise_skills
        from steps_agents.registry import get_extractor

        if self._extractor is None:
            opts = ExtractorOptions.model_validate(self.extractor_options)
            self._extractor = get_extractor(str(self.extractor_name), ctx.pm)(opts)
        # Only the conversation, never the claimed skills: a tags extractor must not echo them.
        record = {"messages": [dict(m) for m in sample.messages]}
        return set(normalise_skills(self._extractor.extract_batch([record])[0]))

    async def judge(self, sample: JudgeInput, ctx: JudgeContext) -> Verdict | None:
        claimed = list(sample.item.skills)
        method = self.method
        if method == "auto":
            method = "extractor" if self.extractor_name else "model" if ctx.model else "none"
        if method == "extractor" and self.extractor_name:
            from steps_agents.corpus.extract import normalise_skill

            found = self._extract(sample, ctx)
            missing = [s for s in claimed if normalise_skill(s) not in found]
        elif method == "model" and ctx.model is not None:
            listing = "\n".join(f"- {s}" for s in claimed)
            prompt = COVERAGE_PROMPT.format(skills=listing, conversation=_conversation(sample))
            answer = await ctx.model.ainvoke([("human", prompt)], schema=CoverageAnswer)
            said = {check.skill.strip().lower(): check.exercised for check in answer.skills}
            missing = [s for s in claimed if not said.get(s.strip().lower(), False)]
        else:
            return None
        covered = 1.0 - len(missing) / max(len(claimed), 1)
        details = {"method": method, "covered": round(covered, 3), "missing": missing}
        if covered + 1e-9 >= self.min_coverage:
            return Verdict(
                judge=self.name,
                passed=True,
                score=covered,
                reason="all skills exercised" if not missing else f"{covered:.0%} covered",
                details=details,
            )
        return Verdict(
            judge=self.name,
            passed=False,
            score=covered,
            reason=f"skills not exercised: {', '.join(missing)}",
            details=details,
        )


class DedupJudge:
    name = "dedup"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        opts = judge_options(self.name, DedupOptions, options)
        self.threshold, self.use_corpus = opts.threshold, opts.corpus
        self.max_corpus_records = opts.max_corpus_records
        self.index = MinHashIndex(
            num_perm=opts.num_perm, bands=opts.bands, shingle=opts.shingle, seed=opts.seed
        )
        self._ready = False

    def setup(self, ctx: JudgeContext) -> None:
        if self._ready:
            return
        self._ready = True
        for sample_id, text in ctx.accepted_texts:
            self.index.add(f"run:{sample_id}", text)
        if self.use_corpus and ctx.corpus:
            from steps_agents.corpus.extract import record_text
            from steps_agents.corpus.sources import open_corpus

            for n, (location, record) in enumerate(open_corpus(ctx.corpus, pm=ctx.pm)):
                if n >= self.max_corpus_records:
                    break
                text = record_text(record)
                if text.strip():
                    self.index.add(f"corpus:{location}", text)

    async def judge(self, sample: JudgeInput, ctx: JudgeContext) -> Verdict | None:
        self.setup(ctx)
        text = self._text(sample)
        if not text.strip():
            return None
        return self._verdict(self.index.nearest(text, exclude=f"run:{sample.item.id}"))

    def observe(self, sample: JudgeInput) -> Verdict | None:
        """Re-check against drafts accepted since :meth:`judge` ran, then record this one."""
        text = self._text(sample)
        key = f"run:{sample.item.id}"
        verdict = self._verdict(self.index.nearest(text, exclude=key))
        if verdict.passed is False:
            return verdict
        self.index.add(key, text)
        return None

    @staticmethod
    def _text(sample: JudgeInput) -> str:
        # Compare the user side: a near-copy of a corpus prompt is the failure that matters.
        return "\n".join(sample.texts("user")) or sample.text

    def _verdict(self, match: tuple[str, float] | None) -> Verdict:
        if match is not None and match[1] >= self.threshold:
            other, similarity = match
            return Verdict(
                judge=self.name,
                passed=False,
                score=similarity,
                reason=f"near-duplicate of {other} (estimated Jaccard {similarity:.2f})",
                details={"match": other, "similarity": round(similarity, 3)},
            )
        return Verdict(
            judge=self.name,
            passed=True,
            score=match[1] if match else 0.0,
            reason="no near-duplicate",
        )


class RubricAnswer(BaseModel):
    rationale: str
    score: int = Field(ge=1, le=10)


RUBRIC_PROMPT = """\
You are a strict grader of training data. Rate the assistant's answer in the conversation below \
on a 1-10 scale for helpfulness, correctness, depth and how well it combines ALL of these \
skills: {skills}. 10 = flawless expert answer using every skill; 6 = acceptable; 1 = useless. \
Give a short rationale first, then the integer score.

Conversation:
{conversation}"""


class RubricJudge:
    name = "rubric"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.min_score = judge_options(self.name, RubricOptions, options).min_score

    async def judge(self, sample: JudgeInput, ctx: JudgeContext) -> Verdict | None:
        if ctx.model is None:
            return None
        prompt = RUBRIC_PROMPT.format(
            skills=", ".join(sample.item.skills), conversation=_conversation(sample)
        )
        answer = await ctx.model.ainvoke([("human", prompt)], schema=RubricAnswer)
        passed = answer.score >= self.min_score
        return Verdict(
            judge=self.name,
            passed=passed,
            score=float(answer.score),
            reason=f"score {answer.score}/10: {answer.rationale}"
            if not passed
            else answer.rationale,
        )


@steps_agents.hookimpl
def register_judges(register: Any) -> None:
    register(FormatJudge, name="format")
    register(LanguageJudge, name="language")
    register(CoverageJudge, name="coverage")
    register(DedupJudge, name="dedup")
    register(RubricJudge, name="rubric")
