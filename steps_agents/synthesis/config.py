"""The synthesis job: a pydantic model filled from ``steps.toml`` (``[synth]``) and CLI flags.

Flags win over the file; the file wins over the defaults. Every validation problem becomes one
:class:`~steps_agents.errors.InputError` line naming the field, e.g.
``steps.toml: synth.k: cannot read '7-2'; use a range like 2-7 or a list like 2,3,5``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from steps_agents.errors import InputError
from steps_agents.models.options import ModelOptions
from steps_agents.runtime.config import load_config

DEFAULT_JUDGES = ("format", "language", "coverage", "dedup")


def parse_ks(value: Any) -> list[int]:
    """The k values of ``[synth] k`` / ``--k``, ascending.

    A string is read with the k grammar every subcommand shares
    (:func:`steps_agents.selection.curriculum.parse_k`: ``"2-7"``, ``"2,3,5"``, ``"3"``, mixed
    ``"2-3,5"``); an int is one k; ``[LO, HI]`` is the range ``LO..HI`` (the list form older
    ``steps.toml`` files use). Raises ``ValueError`` with a one-line message.
    """
    from steps_agents.selection.curriculum import parse_k

    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        text = f"{value[0]}-{value[1]}"
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError(f'expected k values such as "2-7" or "2,3,5", got {value!r}')
    try:
        return sorted(parse_k(text))
    except InputError as error:  # its location is the CLI flag; the caller names the field
        raise ValueError(error.detail) from None


def format_ks(ks: Sequence[int]) -> str:
    """Ascending k values in the shared grammar, runs as ranges: [2, 3, 4, 6] -> ``"2-4,6"``."""
    runs: list[list[int]] = []
    for k in sorted(ks):
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


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
    k: str = Field(default="2-7", description='k values: "2-7", "2,3,5", 4 or [LO, HI]')
    k_weights: dict[int, float] | None = None
    selector: str = "steps"
    beam: int = Field(default=100, ge=1)
    selector_options: dict[str, Any] = Field(default_factory=dict)
    exclude: Path | None = Field(
        default=None,
        description="a combinations, samples or tasks file whose skill sets the run never chooses",
    )
    mode: str = "instruct"
    mode_options: dict[str, Any] = Field(default_factory=dict)
    instructions: Literal["goal", "recipe", "model"] | None = Field(
        default=None, description="agentic mode's instruction style (wins over mode_options)"
    )
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
    singles: bool = Field(
        default=False,
        description="after the n samples, a k = 1 task for every skill the k >= 2 ones use",
    )
    overwrite: bool = False

    @field_validator("k", mode="before")
    @classmethod
    def _k(cls, value: Any) -> str:
        """Stored in the canonical grammar (``"2-4,6"``), so the value round-trips."""
        return format_ks(parse_ks(value))

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
            outside = [k for k in self.k_weights if k not in self.ks]
            if outside or any(w < 0 for w in self.k_weights.values()):
                raise ValueError(f"k_weights keys must lie in {self.k} with weights >= 0")
        return self

    @property
    def mode_settings(self) -> dict[str, Any]:
        """``mode_options`` with ``instructions`` folded in when it is set."""
        if self.instructions is None:
            return dict(self.mode_options)
        return {**self.mode_options, "instructions": self.instructions}

    @property
    def ks(self) -> list[int]:
        return parse_ks(self.k)

    @property
    def effective_wave_size(self) -> int:
        """Items per planned wave (default ``concurrency``, at least 8). The planner queues up
        to 8 waves ahead of the commit order; items start lazily, two per concurrency slot
        (see :mod:`steps_agents.synthesis.pipeline`)."""
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
        SynthConfig,
        "synth",
        file,
        overrides,
        paths=("taxonomy", "output", "state_dir", "corpus", "exclude", "selector_options.focus"),
    )
