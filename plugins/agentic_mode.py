"""Built-in plugin: the ``agentic`` synthesis mode -- executable k-skill tasks from a skill world.

- **compose**: the world (``[synth.mode_options] world = "toolworld"`` by default) builds a task
  whose oracle plan uses exactly the combination's k skills (:func:`steps_agents.worlds.try_compose`);
  the task rides in ``WorkItem.payload["task"]``. A combination the world cannot compose comes
  back :class:`~steps_agents.synthesis.modes.Uncomposable` with the world's reason (the synthesis composer
  reports it and asks for a replacement).
- **generate**: ``[synth.mode_options] instructions`` (:func:`instruction_style`): ``goal``
  (default without a model) keeps the composer's goal instruction (what the user wants, no tool
  names, no step numbers, no intermediate values; :mod:`steps_agents.worlds.goals`), ``recipe``
  the numbered tool steps, ``model`` (default with a model) has the model rewrite the goal in a
  user's words.
- **check**: the oracle is run through the checker on a fresh state (a failure is not
  revisable), the ``plan`` judge (:mod:`steps_agents.plugins.plan_judge`; off with
  ``plan_judge = false``) rejects a plan with a needless or meaningless step, and an
  instruction that leaves out a value the answer needs is rejected
  (:func:`steps_agents.worlds.instructions.missing_required_values`; revisable when a model
  wrote it), as is a model's rewrite that names a tool, numbers a step or states an intermediate
  result (:func:`steps_agents.worlds.goals.goal_leaks`).
- **to_messages**: the oracle solution as an OpenAI tool-call trajectory (agentic SFT data),
  with the task's tools and id beside it (:meth:`AgenticMode.sample_fields`);
  :meth:`AgenticMode.to_record` gives the task record (``fmt="task"``) or the SkillBench record
  (``fmt="skillbench"``); :func:`export_tasks` rebuilds the task file of a finished run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, ValidationError

import steps_agents
from steps_agents.records import Combination, Verdict
from steps_agents.synthesis.modes import (
    ModeContext,
    ModeOptions,
    Uncomposable,
    WorkItem,
    item_id,
)
from steps_agents.worlds import Task, ToolError, check, run_oracle, to_skillbench, try_compose
from steps_agents.worlds.compose import instruction_for
from steps_agents.worlds.goals import goal_leaks
from steps_agents.worlds.instructions import missing_required_values, task_trajectory
from steps_agents.worlds.told_order import in_told_order

DEFAULT_WORLD = "toolworld"
Style = Literal["goal", "recipe", "model", "template"]
STYLES = get_args(Style)


class AgenticOptions(ModeOptions):
    """``[synth.mode_options]`` of the agentic mode (``docs/formats.md``)."""

    world: str = Field(default=DEFAULT_WORLD, min_length=1)
    instructions: Style | None = None
    plan_judge: bool = True


def instruction_style(options: Mapping[str, Any], has_model: bool) -> str:
    """``[synth.mode_options] instructions``: ``goal`` (the default without a model), ``recipe``
    (numbered tool steps, the easy end of a curriculum), ``model`` (the default with a model: a
    model rewrites the goal) or ``template`` (an alias of ``goal``, kept for old configs)."""
    style = str(options.get("instructions") or ("model" if has_model else "goal"))
    if style not in STYLES:
        raise steps_agents.InputError(
            f"instructions = {style!r}: use one of {', '.join(STYLES[:3])}",
            location="[synth.mode_options] instructions",
        )
    return "goal" if style == "template" else style


REWRITE_SYSTEM = """\
You turn a user's request to an AI assistant that has tools into the words a real user would \
write. Keep the meaning exactly: the same goal, the same changes to make, the same question. \
Keep every quoted value (file paths, ids, names, numbers, dates, units, column names, \
operators) exactly as written, and keep the answer requirement exactly (the value to reply \
with, or the JSON object and its keys). Do not name tools, do not number steps, do not turn it \
into a list of steps, and do not solve the task or state any value it asks the assistant to \
find. Write in {language}."""

REWRITE_USER = """\
Instruction to rewrite:
{instruction}"""

REVISION = """\
The previous rewrite was rejected:
{feedback}
Rewrite it again, fixing every point."""


def uncomposable_tag(reason: str) -> str:
    """The run report's short category for a world's composition failure (the full reason,
    which names the skills and counts, goes to the uncomposable log)."""
    if "do not join" in reason:
        return "types do not chain into a data flow"
    if "has no tool" in reason:
        return "unknown tool"
    if "attempts" in reason:  # the most common obstacle follows the count (review finding 15)
        return "no plan keeps the plan rules" if "plan rule" in reason else "no plan executes"
    if "empty combination" in reason:
        return "empty combination"
    return "world cannot compose"


class AgenticDraft(BaseModel):
    """What the generator produces: the task's instruction and who wrote it."""

    instruction: str = Field(min_length=1)
    source: Literal["template", "model"] = "template"


class Rewrite(BaseModel):
    instruction: str = Field(min_length=1, description="the rewritten user request")


def _world(ctx: ModeContext | None, name: str | None = None) -> Any:
    from steps_agents.registry import get_skill_world

    options = ctx.options if ctx is not None else {}
    return get_skill_world(
        name or str(options.get("world", DEFAULT_WORLD)), ctx.pm if ctx else None
    )


class AgenticMode:
    """The ``agentic`` mode: see the module docstring."""

    name = "agentic"
    needs_model = False
    draft_schema = AgenticDraft
    options_model = AgenticOptions

    # -- SynthesisMode ----------------------------------------------------------------------
    def compose(self, combination: Combination, ctx: ModeContext) -> WorkItem | Uncomposable:
        world = _world(ctx)
        seed = ctx.rng("agentic", world.name, *sorted(combination.skills)).randrange(1 << 30)
        task, reason = try_compose(world, list(combination.skills), seed)
        if task is None:
            return Uncomposable(
                skills=combination.skills, reason=reason, tag=uncomposable_tag(reason)
            )
        provenance = {
            **task.provenance,
            "selector": combination.selector,
            "gain": combination.gain,
            "lca_depth": combination.lca_depth,
            "seed_skill": combination.seed_skill,
            "run_seed": ctx.seed,
        }
        if instruction_style(ctx.options, ctx.model is not None) == "recipe":
            difficulty = {**provenance.get("difficulty", {}), "style": "recipe"}
            provenance["difficulty"] = difficulty
            task = task.model_copy(update={"instruction": instruction_for(world, task, "recipe")})
        task = task.model_copy(update={"provenance": provenance})
        return WorkItem(
            id=item_id(self.name, combination.skills, salt=task.id),
            mode=self.name,
            combination=combination,
            payload={"task": task.model_dump(mode="json")},
        )

    async def generate(
        self, item: WorkItem, ctx: ModeContext, feedback: Sequence[str]
    ) -> dict[str, Any]:
        task = Task.model_validate(item.payload["task"])
        if ctx.model is None or instruction_style(ctx.options, True) != "model":
            return AgenticDraft(instruction=task.instruction, source="template").model_dump()
        messages = [
            ("system", REWRITE_SYSTEM.format(language=ctx.language)),
            ("human", REWRITE_USER.format(instruction=task.instruction)),
        ]
        if feedback:
            messages.append(
                ("human", REVISION.format(feedback="\n".join(f"- {f}" for f in feedback)))
            )
        answer = await ctx.model.ainvoke(messages, schema=Rewrite)
        rewrite = Rewrite.model_validate(answer)
        return AgenticDraft(instruction=rewrite.instruction.strip(), source="model").model_dump()

    def check(self, item: WorkItem, draft: Mapping[str, Any], ctx: ModeContext) -> list[Verdict]:
        try:
            parsed = AgenticDraft.model_validate(draft)
        except ValidationError as error:
            reason = f"invalid draft: {error.errors()[0]['msg']}"
            return [Verdict(judge="agentic", passed=False, reason=reason)]
        task = self.to_task(item, draft)
        verdicts = [self._oracle_verdict(task, ctx)]
        if ctx.options.get("plan_judge", True) and verdicts[0].passed:
            from steps_agents.plugins.plan_judge import plan_verdict

            verdicts.append(plan_verdict(task, _world(ctx, task.world)))
        missing = missing_required_values(task)
        if missing:
            shown = ", ".join(json.dumps(v) for v in missing[:5])
            verdicts.append(
                Verdict(
                    judge="instruction",
                    passed=False,
                    reason=f"the instruction leaves out values the answer needs: {shown}",
                    details={"missing": missing, "revisable": parsed.source == "model"},
                )
            )
        elif parsed.source == "model" and goal_leaks(task):
            leaks = goal_leaks(task)
            verdicts.append(
                Verdict(
                    judge="instruction",
                    passed=False,
                    reason=f"the instruction is not a goal: {'; '.join(leaks[:3])}",
                    details={"leaks": leaks, "revisable": True},
                )
            )
        else:
            verdicts.append(
                Verdict(judge="instruction", passed=True, reason="states every required value")
            )
        return verdicts

    def to_messages(self, item: WorkItem, draft: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The trajectory, its calls in the order the instruction imposes where it imposes
        one (:func:`~steps_agents.worlds.told_order.in_told_order`, replayed in the world)."""
        task = self.to_task(item, draft)
        try:
            world = _world(None, task.world)
        except steps_agents.StepsError:  # a world only a run's own plugin manager knows
            return task_trajectory(task)
        return task_trajectory(in_told_order(world, task))

    def sample_fields(self, item: WorkItem, draft: Mapping[str, Any]) -> dict[str, Any]:
        """The task's tools in the OpenAI function format (what the trajectory calls) and its
        id, which joins the sample to its line of the task file."""
        task = Task.model_validate(item.payload["task"])
        return {"tools": task.openai_tools(), "task_id": task.id}

    # -- records ----------------------------------------------------------------------------
    def export_tasks(
        self,
        samples: str | Path,
        output: str | Path,
        *,
        seed: int = 0,
        world: str = DEFAULT_WORLD,
        fmt: str = "task",
        pm: Any = None,
    ) -> int:
        """The run's accepted samples as a task file (see :func:`export_tasks`)."""
        return export_tasks(samples, output, seed=seed, world=world, fmt=fmt, pm=pm)

    def to_task(self, item: WorkItem, draft: Mapping[str, Any]) -> Task:
        """The task with the draft's instruction (and who wrote it in the provenance)."""
        task = Task.model_validate(item.payload["task"])
        instruction = str(draft.get("instruction") or task.instruction)
        provenance = {**task.provenance, "instruction_source": draft.get("source", "template")}
        return task.model_copy(update={"instruction": instruction, "provenance": provenance})

    def to_record(
        self, item: WorkItem, draft: Mapping[str, Any], fmt: str = "task"
    ) -> dict[str, Any]:
        """The task record (``fmt="task"``) or the SkillBench record (``fmt="skillbench"``)."""
        task = self.to_task(item, draft)
        if fmt == "skillbench":
            return to_skillbench(task)
        if fmt != "task":
            raise steps_agents.InputError(
                f"unknown agentic record format {fmt!r}; use task or skillbench"
            )
        return task.model_dump(mode="json")

    def _oracle_verdict(self, task: Task, ctx: ModeContext) -> Verdict:
        try:
            world = _world(ctx, task.world)
            answer, state, trace = run_oracle(world, task)
        except ToolError as error:
            return Verdict(
                judge="oracle",
                passed=False,
                reason=f"the oracle plan fails: {error}",
                details={"revisable": False},
            )
        outcome = check(task, answer, state)
        return Verdict(
            judge="oracle",
            passed=outcome.passed,
            reason="the oracle passes the checker" if outcome.passed else outcome.reason,
            # The task's difficulty rides on the passing verdict, so the durable samples file
            # alone rebuilds the run report's per-k difficulty (resume stays exact).
            details={"calls": len(trace), "difficulty": task.provenance.get("difficulty", {})}
            if outcome.passed
            else {"revisable": False},
        )


def export_tasks(
    samples: str | Path,
    output: str | Path,
    *,
    seed: int = 0,
    world: str = DEFAULT_WORLD,
    fmt: str = "task",
    pm: Any = None,
) -> int:
    """Write the tasks behind the accepted samples of an ``agentic`` run as JSONL.

    A sample records the instruction (its first message) and the combination, not the world
    state; the task is recomposed from the combination with the run's ``seed`` (composition is
    deterministic) and must reproduce the sample's id, else the run used another seed or world
    version and this raises :class:`InputError`. ``fmt="skillbench"`` writes SkillBench records.
    """
    from steps_agents.synthesis.export import read_samples
    from steps_agents.worlds import write_tasks

    mode = AgenticMode()
    ctx = ModeContext(pm=pm, seed=seed, options={"world": world})
    tasks: list[Task] = []
    for n, record in enumerate(read_samples(samples), start=1):
        meta = record.get("metadata") or record.get("provenance") or {}
        if (
            record.get("status", "accepted") != "accepted"
            or meta.get("mode", "agentic") != "agentic"
        ):
            continue
        skills = tuple(meta.get("skills") or ())
        combination = Combination(
            skills=skills,
            k=len(skills),
            gain=float(meta.get("gain", 0.0)),
            selector=str(meta.get("selector", "")),
            seed_skill=meta.get("seed_skill"),
            lca_depth=meta.get("lca_depth"),
        )
        item = mode.compose(combination, ctx)
        if isinstance(item, Uncomposable) or item.id != record.get("id"):
            raise steps_agents.InputError(
                f"sample {record.get('id')} cannot be rebuilt with seed {seed} and world {world!r}"
                " (another run seed or world version?)",
                location=f"{samples}:{n}",
            )
        messages = record.get("messages") or []
        instruction = next((m.get("content") for m in messages if m.get("role") == "user"), None)
        tasks.append(mode.to_task(item, {"instruction": instruction or "", "source": "template"}))
    if fmt == "skillbench":
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "".join(json.dumps(to_skillbench(t)) + "\n" for t in tasks), encoding="utf-8"
        )
        return len(tasks)
    return write_tasks(output, tasks)


@steps_agents.hookimpl
def register_synthesis_modes(register: Any) -> None:
    register(AgenticMode(), name="agentic")
