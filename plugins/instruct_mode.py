"""Built-in plugin: the ``instruct`` synthesis mode (STEPS section 6, instruction data).

For each k-skill combination one real seed example per skill is drawn from the corpus; the
model is asked to fuse them into ONE new conversation that needs all k skills together (not a
concatenation), with a unifying context when the skills' domains differ. The answer is a
pydantic :class:`InstructDraft` (structured output through the run's model client).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

import steps_agents
from steps_agents.records import Combination, Verdict
from steps_agents.synthesis.modes import (
    ModeContext,
    ModeOptions,
    SeedRef,
    Uncomposable,
    WorkItem,
    item_id,
)

SEED_CHARS = 1200  # a seed example is an illustration, not the task: keep prompts bounded
PREVIOUS_CHARS = 8000  # the rejected version shown on a revision

SYSTEM_PROMPT = """\
You write training data for an AI assistant. You are given k skills and, for each skill, one \
real example of a request that exercises it. Write ONE new conversation between a user and an \
assistant that genuinely needs ALL k skills together to answer well.

Rules:
- Do not concatenate the examples or answer them one after another; invent a single coherent \
task in which the skills interlock. If the skills come from different domains, invent a \
realistic unifying context (a person, a project, a situation) that makes them belong together.
- The user's request must be self-contained: include any data, code or text the assistant needs.
- The assistant's answer must be complete, correct and directly useful; show the work each \
skill requires.
- Write in {language_name}.
- `scenario` is one sentence describing the unifying context; `messages` alternate user, \
assistant, starting with the user and ending with the assistant."""

USER_PROMPT = """\
Skills (k = {k}):
{skills}

Seed examples, one per skill (for inspiration only; do not copy them):
{seeds}"""

REVISION_PROMPT = """\
A reviewer rejected the previous version for these reasons:
{feedback}
Write a new version that fixes every point while still needing all {k} skills."""

LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
}


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class InstructDraft(BaseModel):
    """What the model writes: the unifying scenario and the conversation."""

    scenario: str = ""
    messages: list[Turn] = Field(min_length=2)


def build_prompt(
    item: WorkItem,
    feedback: Sequence[str],
    language: str = "en",
    previous: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """The chat messages (``(role, text)`` pairs) asking for one fused conversation; on a
    revision, the rejected version (as the model's own earlier answer) and the reasons."""
    skills = "\n".join(f"{i}. {skill}" for i, skill in enumerate(item.skills, 1))
    seeds = (
        "\n\n".join(
            f"[{seed.skill}]\n{seed.text[:SEED_CHARS]}" for seed in item.seeds if seed.text.strip()
        )
        or "(none available: rely on the skill names)"
    )
    system = SYSTEM_PROMPT.format(language_name=LANGUAGE_NAMES.get(language, language))
    messages = [
        ("system", system),
        ("human", USER_PROMPT.format(k=item.k, skills=skills, seeds=seeds)),
    ]
    if feedback:
        if previous:
            text = json.dumps(previous, ensure_ascii=False)
            messages.append(("ai", text[:PREVIOUS_CHARS]))
        lines = "\n".join(f"- {line}" for line in feedback)
        messages.append(("human", REVISION_PROMPT.format(feedback=lines, k=item.k)))
    return messages


class InstructMode:
    """The ``instruct`` mode: see the module docstring."""

    name = "instruct"
    needs_model = True
    draft_schema = InstructDraft
    options_model = ModeOptions  # no options: any [synth.mode_options] key is refused

    def compose(self, combination: Combination, ctx: ModeContext) -> WorkItem | Uncomposable:
        """Attach one seed example per skill (``ctx.seeds.pick``); uncomposable if one is missing.

        Without a seed index (no ``--corpus``) the item carries no seeds and the model works
        from the skill names alone.
        """
        seeds: list[SeedRef] = []
        if ctx.seeds is not None:
            for skill in combination.skills:
                example = ctx.seeds.pick(skill, ctx.rng("seed", *sorted(combination.skills), skill))
                if example is None:
                    return Uncomposable(
                        skills=combination.skills, reason=f"no seed example: {skill}"
                    )
                seeds.append(SeedRef(id=str(example.id), skill=skill, text=str(example.text)))
        return WorkItem(
            id=item_id(self.name, combination.skills, [s.id for s in seeds]),
            mode=self.name,
            combination=combination,
            seeds=tuple(seeds),
        )

    async def generate(
        self,
        item: WorkItem,
        ctx: ModeContext,
        feedback: Sequence[str],
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if ctx.model is None:
            raise steps_agents.InputError(
                "the instruct mode needs a model; pass --model SPEC", location="--model"
            )
        draft = await ctx.model.ainvoke(
            build_prompt(item, feedback, ctx.language, previous), schema=InstructDraft
        )
        return InstructDraft.model_validate(draft).model_dump(mode="json")

    def check(self, item: WorkItem, draft: Mapping[str, Any], ctx: ModeContext) -> list[Verdict]:
        """Structure: a valid :class:`InstructDraft` that alternates user/assistant turns."""
        try:
            parsed = InstructDraft.model_validate(draft)
        except ValidationError as error:
            return [
                Verdict(
                    judge="instruct",
                    passed=False,
                    reason=f"invalid draft: {error.errors()[0]['msg']}",
                )
            ]
        roles = [turn.role for turn in parsed.messages]
        expected = ["user" if i % 2 == 0 else "assistant" for i in range(len(roles))]
        if roles != expected or roles[-1] != "assistant":
            return [
                Verdict(
                    judge="instruct",
                    passed=False,
                    reason="turns must alternate user/assistant, starting with user and ending"
                    f" with assistant (got {json.dumps(roles)})",
                )
            ]
        return [Verdict(judge="instruct", passed=True, reason="well-formed conversation")]

    def to_messages(self, item: WorkItem, draft: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            {"role": str(turn.get("role")), "content": str(turn.get("content", ""))}
            for turn in draft.get("messages") or ()
            if isinstance(turn, Mapping)
        ]


@steps_agents.hookimpl
def register_synthesis_modes(register: Any) -> None:
    register(InstructMode(), name="instruct")
