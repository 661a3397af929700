"""The judge protocol: how the critic asks plugins whether a draft is good enough.

A plugin registers a judge *factory* by name through ``register_judges``; the run calls
``factory(options)`` once (``options`` is the judge's ``[synth.judge_options.NAME]`` table) and
keeps the instance for the run, so a judge may hold run state (the near-duplicate index does).

A judge's :meth:`Judge.judge` returns a :class:`~steps_agents.records.Verdict` or ``None`` to
abstain (``passed=None`` also abstains). Optional methods, called when present:

- ``setup(ctx)``: once before the first draft (build an index over the corpus, ...);
- ``observe(sample) -> Verdict | None``: by the writer, just before an accepted draft is
  written (not for a surplus one), one draft at a time in a fixed order (the item order of the
  superstep's writes, never the order drafts finished in), so it can re-check against drafts
  written since it judged this one and either record the draft (return ``None``) or fail it
  (return a failed verdict, which replaces the judge's earlier one; the draft is then written
  as a reject, without a revision). What a judge records this way is rebuilt on resume from the
  samples file (``JudgeContext.accepted_texts``), so it must be what the file holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from steps_agents.records import Verdict
from steps_agents.synthesis.modes import ModeContext, WorkItem


@dataclass(frozen=True)
class JudgeInput:
    """A draft as judges see it: the work item, the mode's draft and its chat messages."""

    item: WorkItem
    draft: Mapping[str, Any]
    messages: Sequence[Mapping[str, Any]]

    def texts(self, *roles: str) -> list[str]:
        """Message contents (as text), optionally only those of ``roles``."""
        out = []
        for message in self.messages:
            if roles and message.get("role") not in roles:
                continue
            content = message.get("content")
            out.append(content if isinstance(content, str) else str(content or ""))
        return out

    @property
    def text(self) -> str:
        return "\n".join(self.texts())


@dataclass
class JudgeContext(ModeContext):
    """Run-scoped things judges may use besides what modes get.

    ``mode`` is the synthesis mode object (its ``draft_schema``, if any, is what the format
    judge validates); ``corpus`` the corpus source string; ``accepted_texts`` the
    ``(id, user text)`` of samples already accepted on disk (a resumed run).
    """

    mode: Any = None
    corpus: str | None = None
    extractor: str = "auto"
    accepted_texts: Sequence[tuple[str, str]] = field(default_factory=list)


@runtime_checkable
class Judge(Protocol):
    name: str

    async def judge(self, sample: JudgeInput, ctx: JudgeContext) -> Verdict | None:
        """Score ``sample``; ``None`` (or ``passed=None``) abstains."""
        ...


def failed(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts that fail a draft (abstentions do not)."""
    return [v for v in verdicts if v.passed is False]


def revisable(verdicts: Sequence[Verdict]) -> bool:
    """A revision can help unless a failed verdict says ``details["revisable"] is False``."""
    return all(v.details.get("revisable", True) is not False for v in failed(verdicts))
