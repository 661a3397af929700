"""``ModelOptions``: how to reach and call a chat model, the one set of settings every stage uses.

The same cluster (server, key variable, temperature, concurrency, retries, timeouts, structured
mode, cache) used to be spelled out as parameters of ``open_model``, ``ModelClient``, the CLI
flags, the synthesis runner and ``steps eval``; now each of them takes a ``ModelOptions``.

The model *spec* is not one of the options: one set of options serves several specs in a run
(the synthesis model and its judge model, ``steps eval``'s ``model:`` agents and its judge), so
the spec is passed beside it (:func:`~steps_agents.models.open.open_model`).

API keys are never options: ``api_key_env`` names the environment variable that holds the key,
read when the model is opened (a key in a file or on a command line would be leaked by both).
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from steps_agents.errors import InputError

StructuredMethod = Literal["auto", "native", "json"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ModelOptions(BaseModel):
    """Settings of the model calls of a run (defaults: no temperature sent, 8 calls in flight, 4
    retries, 120 s per attempt, backoff 0.5 s doubling, structured mode chosen by the model,
    response cache on)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = Field(
        default=None, description="OpenAI-compatible server (vLLM, Ollama, LM Studio)"
    )
    api_key_env: str | None = Field(
        default=None, description="environment variable holding the API key"
    )
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    concurrency: int = Field(default=8, ge=1, description="model calls in flight at once")
    max_retries: int = Field(default=4, ge=0, description="retries per model call")
    timeout: float | None = Field(default=120.0, gt=0, description="seconds per attempt")
    backoff: float = Field(default=0.5, ge=0, description="first retry delay in seconds")
    structured: StructuredMethod = "auto"
    cache: bool = Field(default=True, description="read and write the response cache")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        # Probably a key pasted by mistake: the message (all the CLI prints) never repeats it.
        if value and not _ENV_NAME.fullmatch(value):
            raise ValueError("expects the NAME of an environment variable, not a key")
        return value or None

    def api_key(self) -> str | None:
        """The key in the ``api_key_env`` variable (``None`` if no variable is named)."""
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise InputError(
                f"environment variable {self.api_key_env} is not set or empty",
                location="api_key_env",
            )
        return value

    def cache_key_params(self) -> dict[str, Any]:
        """What joins every cache key besides the spec: the temperature and the base URL (never
        the key), so answers from one server or temperature are never served for another."""
        params: dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.base_url:
            params["base_url"] = self.base_url
        return params

    def model_options(self) -> ModelOptions:
        """Just the model settings, as a frozen :class:`ModelOptions` (for a config that extends
        this class with a job's other fields, such as ``SynthConfig``)."""
        return ModelOptions(**{name: getattr(self, name) for name in ModelOptions.model_fields})
