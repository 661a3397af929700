"""The synthesis job: a pydantic model filled from ``steps.toml`` (``[synth]``) and CLI flags.

Flags win over the file; the file wins over the defaults. Every validation problem becomes one
:class:`~steps_agents.errors.InputError` line naming the field, e.g.
``steps.toml: synth.k: expected "LO-HI" with 1 <= LO <= HI``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from steps_agents.errors import InputError

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


class SynthConfig(BaseModel):
    """One synthesis job. Field names are the ``[synth]`` keys of ``steps.toml``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

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
    base_url: str | None = None
    api_key_env: str | None = None
    structured: Literal["auto", "native", "json"] = "auto"
    temperature: float | None = Field(default=0.7, ge=0.0, le=2.0)
    concurrency: int = Field(default=8, ge=1)
    max_retries: int = Field(default=4, ge=0)
    timeout: float = Field(default=120.0, gt=0)
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
    cache: bool = True
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


def _field_error(error: ValidationError) -> tuple[str, str]:
    """``(field, message)`` of a pydantic error's first problem, message on one line."""
    first = error.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return field, " ".join(message.split())


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The ``[synth]`` table of a TOML file (the whole file if it has no such table).

    Every way the file can fail to be read is one :class:`InputError` naming it: missing, a
    directory or unreadable (any ``OSError``), not UTF-8, not TOML.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such config file", location=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a TOML file", location=path) from None
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise InputError(f"cannot read ({reason})", location=path) from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"not valid UTF-8 (byte offset {error.start}); save the file as UTF-8", location=path
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML ({error})", location=path) from None
    section = data.get("synth", data)
    if not isinstance(section, dict):
        raise InputError("[synth] must be a table", location=path)
    return section


def build_config(
    file: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> SynthConfig:
    """Merge the config file (if any) with ``overrides`` (``None`` values ignored) and validate.

    Relative paths in the file are resolved against the file's directory.
    """
    values: dict[str, Any] = {}
    if file is not None:
        values = load_config_file(file)
        base = Path(file).parent
        for key in ("taxonomy", "output", "state_dir", "corpus"):
            raw = values.get(key)
            if isinstance(raw, str) and raw and not Path(raw).is_absolute() and "://" not in raw:
                values[key] = str(base / raw)
        try:
            SynthConfig.model_validate(values)
        except ValidationError as error:
            field, message = _field_error(error)
            where = f"{file}: synth.{field}" if field else str(file)
            raise InputError(message, location=where) from None
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return SynthConfig.model_validate(values)
    except ValidationError as error:
        field, message = _field_error(error)
        flag = "--" + field.replace("_", "-") if field else "options"
        raise InputError(message, location=flag) from None
