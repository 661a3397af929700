"""The evaluation job: a pydantic model filled from ``steps.toml`` (``[eval]``) and CLI flags.

The counterpart of :class:`~steps_agents.synthesis.config.SynthConfig`. Flags win over the file;
the file wins over the defaults; each problem is one line naming the field
(``steps.toml: eval.repeats: Input should be greater than or equal to 1``).

The model settings of the run (``model:`` agents and the judge) are a nested
:class:`~steps_agents.models.ModelOptions`, the ``[eval.model]`` table: the evaluation's own
``timeout`` and ``concurrency`` (per episode, episodes in flight) would otherwise collide with
the model's. ``steps eval`` sets the model's concurrency to the episodes' unless the table
says otherwise, since each episode in flight makes at most one model call at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steps_agents.evaluation.store import check_run_id
from steps_agents.models.options import ModelOptions
from steps_agents.runtime.config import flag_for, load_config


class EvalConfig(BaseModel):
    """One evaluation run. Field names are the ``[eval]`` keys of ``steps.toml``.

    ``tasks``, ``agent``, ``compare``, ``agent_options`` and ``judge`` say what the CLI opens;
    :func:`steps_agents.graphs.evaluation.aevaluate` receives the opened objects beside the
    config and reads the run settings from it.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    tasks: Path | None = Field(default=None, description="task file (executable or SkillBench)")
    agent: str | None = Field(default=None, description="agent spec")
    compare: str | None = Field(default=None, description="a second agent, compared pairwise")
    agent_options: dict[str, Any] = Field(default_factory=dict)
    taxonomy: Path | None = None
    judge: str | None = Field(default=None, description="judge model for SkillBench text tasks")
    repeats: int = Field(default=1, ge=1, description="runs per task (pass^R)")
    step_limit: int = Field(default=50, ge=1, description="tool calls per episode")
    timeout: float | None = Field(default=300.0, gt=0, description="seconds per episode")
    wave_size: int = Field(default=256, ge=1, description="episodes per fan-out wave")
    concurrency: int = Field(default=8, ge=1, description="episodes in flight at once")
    seed: int = 0
    run_id: str | None = None
    state_dir: Path = Path(".steps/eval")
    model: ModelOptions = Field(default_factory=ModelOptions)

    @field_validator("run_id")
    @classmethod
    def _plain_run_id(cls, value: str | None) -> str | None:
        return None if value is None else check_run_id(value)

    @model_validator(mode="before")
    @classmethod
    def _model_concurrency(cls, values: Any) -> Any:
        """Model calls in flight follow the episodes in flight unless ``[eval.model]`` sets them."""
        if isinstance(values, dict) and "concurrency" in values:
            model = values.get("model")
            if model is None or isinstance(model, Mapping) and "concurrency" not in model:
                values = {
                    **values,
                    "model": {**(model or {}), "concurrency": values["concurrency"]},
                }
        return values

    @property
    def agent_specs(self) -> list[str]:
        """``agent`` then ``compare`` (when given)."""
        return [spec for spec in (self.agent, self.compare) if spec]

    @property
    def compare_pair(self) -> tuple[str, str] | None:
        return (self.agent, self.compare) if self.agent and self.compare else None

    @property
    def model_cache_path(self) -> Path:
        """The response cache of the run's model clients: ``<state_dir>/model-cache.sqlite``."""
        return self.state_dir / "model-cache.sqlite"


def build_eval_config(
    file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    flag: Callable[[str], str] = flag_for,
) -> EvalConfig:
    """The ``[eval]`` table of ``file`` (if any) merged with ``overrides`` (``None`` ignored;
    ``overrides["model"]``, a dict of model options, is merged key by key into ``[eval.model]``).

    Relative paths in the file (``tasks``, ``taxonomy``, ``state_dir``) are resolved against its
    directory; ``flag(field)`` names a bad override (``model.timeout`` -> ``--model-timeout``).
    """
    return load_config(
        EvalConfig, "eval", file, overrides, paths=("tasks", "taxonomy", "state_dir"), flag=flag
    )
