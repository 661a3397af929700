"""Judge scoring of SkillBench text tasks: a judge model rates an answer on the 1-10 scale.

The paper's SkillBench reports model-judge scores on 1-10 (about 5 to 8.7). The judge sees the
task, the skills it tests, the reference answer and the candidate answer, and returns a
:class:`JudgeScore`. Every call goes through a :class:`steps_agents.models.ModelClient` (cache,
retries, accounting); a malformed judgement after the client's retries is reported as the
episode's ``judge_error``, never as a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

JUDGE_SYSTEM = (
    "You are a strict, fair grader of answers to tasks that combine several skills. Compare the"
    " candidate answer with the reference answer and the task's requirements. Score 1-10:"
    " 10 = fully correct and complete, uses every required skill correctly; 7-9 = correct with"
    " minor omissions; 4-6 = partly correct, a required skill is missing or wrong; 1-3 = wrong,"
    " off-task or empty. Judge substance, not style or length."
)

JUDGE_TEMPLATE = """Task (tests these skills: {skills}):
<task>
{prompt}
</task>

Reference answer:
<reference>
{reference}
</reference>

Candidate answer:
<candidate>
{answer}
</candidate>

Give an integer score from 1 to 10 and a one-sentence reason."""


class JudgeScore(BaseModel):
    """The judge's verdict on one answer."""

    score: int = Field(ge=1, le=10, description="1 (wrong) to 10 (fully correct)")
    reason: str = Field(default="", description="one sentence")


def judge_messages(prompt: str, reference: str, answer: str, skills: Sequence[str]) -> list[Any]:
    return [
        SystemMessage(JUDGE_SYSTEM),
        HumanMessage(
            JUDGE_TEMPLATE.format(
                skills=", ".join(skills),
                prompt=prompt,
                reference=reference or "(none given)",
                answer=answer or "(empty)",
            )
        ),
    ]


async def judge_answer(
    client: Any, *, prompt: str, reference: str, answer: str, skills: Sequence[str]
) -> tuple[float, str]:
    """``(score, reason)`` from the judge model behind ``client`` (a ``ModelClient``)."""
    verdict = await client.ainvoke(
        judge_messages(prompt, reference, answer, skills), schema=JudgeScore
    )
    if not isinstance(verdict, JudgeScore):
        verdict = JudgeScore.model_validate(verdict)
    return float(verdict.score), verdict.reason
