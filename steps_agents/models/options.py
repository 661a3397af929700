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

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from steps_agents.errors import InputError
from steps_agents.models.servers import ServerSpec, parse_server

StructuredMethod = Literal["auto", "native", "json"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ModelOptions(BaseModel):
    """Settings of the model calls of a run (defaults: no temperature sent, 8 calls in flight, 4
    retries, 120 s per attempt, backoff 0.5 s doubling, structured mode chosen by the model,
    response cache on)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | tuple[str, ...] | None = Field(
        default=None,
        description="OpenAI-compatible server (vLLM, Ollama, LM Studio), or several;"
        " each URL or URL#N (at most N calls in flight there)",
    )
    api_key_env: str | None = Field(
        default=None, description="environment variable holding the API key"
    )
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    concurrency: int = Field(
        default=8,
        ge=1,
        description="model calls in flight at once, over all servers (default 8, or the sum"
        " of the URL#N limits when every server has one)",
    )
    max_retries: int = Field(default=4, ge=0, description="retries per model call")
    timeout: float | None = Field(default=120.0, gt=0, description="seconds per attempt")
    backoff: float = Field(default=0.5, ge=0, description="first retry delay in seconds")
    structured: StructuredMethod = "auto"
    cache: bool = Field(default=True, description="read and write the response cache")
    executor: Literal["local", "ray"] = Field(
        default="local",
        description="where the requests are sent from: this process, or Ray workers (each its"
        " own client with a share of the concurrency and budget; extra ray)",
    )
    ray_address: str | None = Field(
        default=None, description="Ray cluster address (auto, ray://HOST:10001); none: local Ray"
    )
    workers: int | None = Field(
        default=None, ge=1, description="Ray workers sending requests (default: the CPUs of Ray)"
    )

    @field_validator("base_url", mode="before")
    @classmethod
    def _servers(cls, value: Any) -> Any:
        """One URL stays a string; a list is checked (``URL`` or ``URL#N``, no URL twice) and
        becomes a tuple; a list of one is that one URL."""
        if value is None or isinstance(value, str):
            if isinstance(value, str) and value.strip():
                parse_server(value)
            return value or None
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("expects a URL or a list of URLs")
        specs = [parse_server(v) for v in value]
        seen = [s.url for s in specs]
        twice = next((url for url in seen if seen.count(url) > 1), None)
        if twice is not None:
            raise ValueError(f"server {twice} is listed twice")
        if not specs:
            return None
        return value[0] if len(value) == 1 else tuple(value)

    @model_validator(mode="before")
    @classmethod
    def _total_from_servers(cls, data: Any) -> Any:
        # Every server has its own limit and no total was given: the total is their sum.
        if not isinstance(data, dict) or data.get("concurrency") is not None:
            return data
        urls = data.get("base_url")
        urls = [urls] if isinstance(urls, str) else urls
        if isinstance(urls, list | tuple) and urls and all(isinstance(u, str) for u in urls):
            try:
                limits = [parse_server(u).concurrency for u in urls]
            except ValueError:
                return data  # the field validator names the problem
            if all(limits):
                return {**data, "concurrency": sum(int(n or 0) for n in limits)}
        return data

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        # Probably a key pasted by mistake: the message (all the CLI prints) never repeats it.
        if value and not _ENV_NAME.fullmatch(value):
            raise ValueError("expects the NAME of an environment variable, not a key")
        return value or None

    @field_validator("ray_address")
    @classmethod
    def _ray_address_needs_ray(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("executor", "local") != "ray":
            raise ValueError('needs the ray executor (--executor ray, or executor = "ray")')
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

    def servers(self) -> list[ServerSpec]:
        """The servers named by ``base_url``, in the order given (``[]`` without one)."""
        if not self.base_url:
            return []
        urls = [self.base_url] if isinstance(self.base_url, str) else list(self.base_url)
        return [parse_server(url) for url in urls]

    def cache_key_params(self) -> dict[str, Any]:
        """What joins every cache key besides the spec: the temperature and the base URL (never
        the key), so answers from one server or temperature are never served for another.

        Several servers are taken as replicas of one deployment: the key holds their sorted
        URLs (without ``#N``), so an answer does not depend on which replica gave it."""
        params: dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        urls = sorted(server.url for server in self.servers())
        if urls:
            params["base_url"] = urls[0] if len(urls) == 1 else urls
        return params

    def model_options(self) -> ModelOptions:
        """Just the model settings, as a frozen :class:`ModelOptions` (for a config that extends
        this class with a job's other fields, such as ``SynthConfig``)."""
        return ModelOptions(**{name: getattr(self, name) for name in ModelOptions.model_fields})
