"""The synthesis job: a pydantic model filled from ``steps.toml`` (``[synth]``) and CLI flags.

Flags win over the file; the file wins over the defaults. Every validation problem becomes one
:class:`~steps_agents.errors.InputError` line naming the field, e.g.
``steps.toml: synth.k: expected "LO-HI" with 1 <= LO <= HI``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from steps_agents.models.options import ModelOptions
from steps_agents.runtime.config import load_config

DEFAULT_JUDGES = ("format", "language", "coverage", "dedup")


def parse_k_range(value: Any) -> tuple[int, int]:
    """``"2-7"``, ``"3"``, ``3``, ``[2, 7]`` -> ``(lo, hi)`` with ``1 <= lo <= hi``."""
    lo: Any
    hi: Any
    if isinstance(value, int) and not isinstance(value, bool):
        lo = hi = value
    elif isinstance(value, str):
        parts = value.replace("..", "-").split("-")
        if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f'expected "LO-HI" such as "2-7", got {value!r}')
        lo, hi = int(parts[0]), int(parts[-1])
    elif isinstance(value, list | tuple) and len(value) == 2:
        lo, hi = value
    else:
        raise ValueError(f'expected "LO-HI" such as "2-7", got {value!r}')
    if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
        raise ValueError(f"expected 1 <= LO <= HI, got {value!r}")
    return int(lo), int(hi)


class SynthConfig(ModelOptions):
    """One synthesis job. Field names are the ``[synth]`` keys of ``steps.toml``.

    The model settings are :class:`~steps_agents.models.ModelOptions`' own fields, inherited so
    that ``steps.toml`` keeps them flat in ``[synth]`` (``temperature = 0.7``, not a sub-table);
    :meth:`~steps_agents.models.ModelOptions.model_options` gives them as one object for the
    synthesis model and the judge model alike. Only the temperature's default differs (0.7).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    taxonomy: Path | None = None
    corpus: str | None = None
    n: int = Field(default=100, ge=1, description="accepted samples to produce")
    k: tuple[int, int] = (2, 7)
    k_weights: dict[int, float] | None = None
    selector: str = "steps"
    beam: int = Field(default=100, ge=1)
    mode: str = "instruct"
    mode_options: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    temperature: float | None = Field(default=0.7, ge=0.0, le=2.0)
    output: Path = Path("synth.jsonl")
    format: str = "messages"
    judges: tuple[str, ...] = DEFAULT_JUDGES
    judge_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    judge_model: str | None = None
    max_revisions: int = Field(default=2, ge=0)
    budget: int | None = Field(default=None, ge=1, description="model calls")
    wave_size: int | None = Field(default=None, ge=1)
    run_id: str | None = None
    state_dir: Path | None = None
    seed: int = 0
    language: str = "en"
    extractor: str = "auto"
    per_skill: int = Field(default=3, ge=1)
    curriculum: bool = False
    overwrite: bool = False

    @field_validator("k", mode="before")
    @classmethod
    def _k(cls, value: Any) -> tuple[int, int]:
        return parse_k_range(value)

    @field_validator("judges", mode="before")
    @classmethod
    def _judges(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if not isinstance(value, list | tuple):
            raise ValueError("expected a list of judge names or a comma-separated string")
        return tuple(name for name in value if name and name != "none")

    @model_validator(mode="after")
    def _weights(self) -> SynthConfig:
        if self.k_weights:
            lo, hi = self.k
            outside = [k for k in self.k_weights if not lo <= k <= hi]
            if outside or any(w < 0 for w in self.k_weights.values()):
                raise ValueError(f"k_weights keys must lie in {lo}-{hi} with weights >= 0")
        return self

    @property
    def ks(self) -> list[int]:
        return list(range(self.k[0], self.k[1] + 1))

    @property
    def effective_wave_size(self) -> int:
        """Items started per superstep (default ``concurrency``, at least 8; up to five waves
        are in flight at once). Drafts start when composed, so two waves (the one awaited and
        the next) keep every slot busy; a bigger wave only lengthens LangGraph's synchronous
        work between supersteps, which delays every call in flight (measured in
        ``benchmarks/synthesis.py``: wave 32 beat 64 by about 0.1 x ideal at concurrency 32)."""
        return self.wave_size or max(8, self.concurrency)

    @property
    def rejects_path(self) -> Path:
        """Rejects go beside the output: ``out.jsonl`` -> ``out.rejects.jsonl``."""
        return self.output.with_name(f"{self.output.stem}.rejects{self.output.suffix or '.jsonl'}")

    @property
    def uncomposable_path(self) -> Path:
        """Combinations the mode could not compose, with full reasons: ``out.uncomposable.jsonl``."""
        suffix = self.output.suffix or ".jsonl"
        return self.output.with_name(f"{self.output.stem}.uncomposable{suffix}")

    @property
    def resolved_state_dir(self) -> Path:
        """Checkpoints and the response cache: ``--state-dir`` or ``<output>.state/``."""
        return self.state_dir or self.output.with_name(f"{self.output.name}.state")


def build_config(
    file: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> SynthConfig:
    """Merge the config file (if any) with ``overrides`` (``None`` values ignored) and validate.

    Relative paths in the file are resolved against the file's directory.
    """
    return load_config(
        SynthConfig, "synth", file, overrides, paths=("taxonomy", "output", "state_dir", "corpus")
    )
