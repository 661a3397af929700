"""The synthesis-mode protocol: how a skill combination becomes a sample.

A *mode* (``instruct``, ``agentic``, a third party's) is registered through the
``register_synthesis_modes`` hook and chosen by name (``--mode``). The synthesis graph
(``graphs/synthesis.py``) drives every mode the same way::

    combination --compose--> WorkItem --generate--> draft --check + judges--> accept/revise/reject
                                                                     accepted --to_messages--> record

Everything a mode hands the graph (``WorkItem``, the draft ``dict``) is JSON-serialisable,
because items and drafts live in checkpointed graph state and must survive a restart. What
belongs to the run but not to a checkpoint (the model client, the taxonomy, the seed-example
index, the plugin manager) reaches the mode through :class:`ModeContext`.

A mode that can work without a model (templates, executable worlds) sets ``needs_model = False``;
``ctx.model`` is then ``None`` unless the user passed ``--model`` anyway. ``steps synth`` refuses
to start a mode with ``needs_model = True`` and no model, with a message saying so.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from steps_agents.records import Combination, Verdict
from steps_agents.synthesis.plugin_options import PluginOptions, plugin_options

if TYPE_CHECKING:  # pragma: no cover - imports for annotations only
    import pluggy

    from steps_agents.taxonomy.artifact import Taxonomy

__all__ = [
    "ModeContext",
    "ModeOptions",
    "SeedRef",
    "SynthesisMode",
    "Uncomposable",
    "WorkItem",
    "item_id",
    "mode_options",
    "sample_fields",
]


class SeedRef(BaseModel):
    """One real corpus example attached to a work item for one skill (STEPS section 6)."""

    model_config = ConfigDict(frozen=True)

    id: str
    skill: str
    text: str


class WorkItem(BaseModel):
    """One unit of synthesis work: a combination plus whatever the mode needs to write it.

    ``id`` is content-addressed (:func:`item_id`), so recomposing the same combination with the
    same seed examples after a restart gives the same id; the writer uses it to skip samples
    already on disk. ``payload`` is the mode's own JSON-serialisable data (an agentic task
    spec, a template name, ...).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    mode: str
    combination: Combination
    seeds: tuple[SeedRef, ...] = ()
    payload: dict[str, Any] = Field(default_factory=dict)

    @property
    def skills(self) -> tuple[str, ...]:
        return self.combination.skills

    @property
    def k(self) -> int:
        return self.combination.k


class Uncomposable(BaseModel):
    """``compose`` could not turn a combination into a work item; ``reason`` says why.

    The composer counts it in the run report under ``tag``, a short category shared by every
    combination with the same cause (``"types do not chain"``, ``"no seed example"``), and logs
    the full ``reason`` beside the output; then it asks the selector for a replacement. Without
    a ``tag`` the category is the reason up to its first colon with the skill names taken out.
    """

    model_config = ConfigDict(frozen=True)

    skills: tuple[str, ...]
    reason: str
    tag: str = ""


def item_id(mode: str, skills: Sequence[str], seed_ids: Sequence[str] = (), salt: str = "") -> str:
    """A stable 16-hex-digit id: ``sha1(mode | sorted skills | seed ids | salt)``.

    Skills are sorted (a combination is a set), seed ids keep their order (one per skill).
    """
    text = "|".join([mode, ",".join(sorted(skills)), ",".join(seed_ids), salt])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class ModeContext:
    """What a mode may use besides the item: run-scoped, never checkpointed.

    ``model`` is a :class:`steps_agents.models.ModelClient` (or ``None``); every model call goes
    through it so concurrency, retries, the response cache and accounting apply. ``seeds`` is a
    :class:`steps_agents.synthesis.seed_examples.SeedExampleIndex` (``pick(skill, rng)``) or ``None``.
    ``options`` carries the mode's section of the configuration (``[synth.mode_options]``).
    """

    model: Any = None
    taxonomy: Taxonomy | None = None
    seeds: Any = None
    pm: pluggy.PluginManager | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    language: str = "en"
    seed: int = 0

    def rng(self, *key: object) -> random.Random:
        """A generator seeded by the run seed and ``key``: the same key draws the same values."""
        text = "|".join([str(self.seed), *map(str, key)])
        return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


class ModeOptions(PluginOptions):
    """Base of a mode's ``[synth.mode_options]`` model (its ``options_model`` attribute):
    unknown keys are refused, numbers must be finite. A mode without options declares this
    class itself, so any key given is refused."""


def mode_options(mode: Any, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """``[synth.mode_options]`` checked by ``mode.options_model`` (a :class:`ModeOptions`), with
    the model's defaults filled in; a wrong key or value is one :class:`InputError` line naming
    the option and the mode. A mode that declares no ``options_model`` gets ``options`` as
    given (it checks them itself)."""
    cls = getattr(mode, "options_model", None)
    if cls is None:
        return dict(options or {})
    name = getattr(mode, "name", type(mode).__name__)
    return plugin_options(cls, options, "mode_options", f"mode {name!r}").model_dump()


@runtime_checkable
class SynthesisMode(Protocol):
    """What a synthesis mode implements. Register an instance with ``register_synthesis_modes``.

    Attributes:
        name: the name users pass to ``--mode``.
        needs_model: ``True`` if :meth:`generate` cannot work without ``ctx.model``.

    Optionally ``options_model``, a :class:`ModeOptions` subclass: ``[synth.mode_options]`` is
    validated by it before the run opens anything (:func:`mode_options`) and ``ctx.options``
    holds the validated values with their defaults; and ``sample_fields(item, draft)``, the
    sample's tools and task id (:func:`sample_fields`).
    """

    name: str
    needs_model: bool

    def compose(self, combination: Combination, ctx: ModeContext) -> WorkItem | Uncomposable:
        """Turn a combination into a work item (attach seed examples, pick a task, ...).

        Return :class:`Uncomposable` with a reason when the combination cannot be used (no seed
        example for a skill, the skills cannot form a task); never raise for that. Use
        ``ctx.rng(...)`` for any randomness so a restarted run composes the same item.
        """
        ...

    async def generate(
        self, item: WorkItem, ctx: ModeContext, feedback: Sequence[str]
    ) -> dict[str, Any]:
        """Write the draft for ``item`` and return it as a JSON-serialisable ``dict``.

        ``feedback`` is empty on the first attempt and holds the critic's reasons on a
        revision. A mode may also accept a keyword ``previous`` (the rejected draft): the
        generator passes it on revisions when the signature has it. Raise :class:`steps_agents.errors.ModelOutputError` when the model's answer
        is unusable after the client's retries: the item is then recorded as a reject and the
        run goes on.
        """
        ...

    def check(self, item: WorkItem, draft: Mapping[str, Any], ctx: ModeContext) -> list[Verdict]:
        """The mode's intrinsic checks on a draft (structure, an executable checker, ...).

        Return one :class:`Verdict` per check; ``passed=False`` with a reason fails the draft
        (the critic then asks for a revision). Put ``details={"revisable": False}`` on a
        failure a revision cannot fix, so the critic rejects at once.
        """
        ...

    def to_messages(self, item: WorkItem, draft: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The accepted draft as OpenAI-style chat messages (``{"role", "content"}`` dicts).

        Output formats (``messages``, ``sharegpt``, ``alpaca``) render from this list; judges
        that read text (language, coverage, dedup, rubric) read it too.
        """
        ...


def sample_fields(mode: Any, item: WorkItem, draft: Mapping[str, Any]) -> dict[str, Any]:
    """What a sample carries besides its messages, from the mode's optional
    ``sample_fields(item, draft)``: ``"tools"`` (the OpenAI function tools its messages call,
    written beside ``messages``) and ``"task_id"`` (the task record it was made from, in
    ``metadata.task_id``). A mode without the method gives ``{}``."""
    method = getattr(mode, "sample_fields", None)
    return dict(method(item, draft)) if callable(method) else {}
