"""``open_model``: a spec and the usual options in, a ready :class:`ModelClient` out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steps_agents.models.client import ModelClient, StructuredMethod
from steps_agents.models.resolve import resolve_chat_model


def open_model(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    temperature: float | None = None,
    cache_path: Path | None = None,
    concurrency: int = 8,
    max_retries: int = 4,
    timeout: float | None = 120.0,
    backoff: float = 0.5,
    structured: StructuredMethod = "auto",
    pm: Any = None,
) -> ModelClient:
    """Resolve ``spec`` (see :func:`resolve_chat_model`) and wrap it in a :class:`ModelClient`.

    The temperature and base URL join every cache key (the API key never does), so answers from
    one server or temperature are never served for another.
    """
    model = resolve_chat_model(
        spec, pm=pm, base_url=base_url, api_key=api_key, temperature=temperature
    )
    key_params: dict[str, Any] = {}
    if temperature is not None:
        key_params["temperature"] = temperature
    if base_url:
        key_params["base_url"] = base_url
    return ModelClient.from_model(
        model,
        spec=spec,
        cache_path=cache_path,
        concurrency=concurrency,
        max_retries=max_retries,
        timeout=timeout,
        backoff=backoff,
        key_params=key_params,
        structured=structured,
    )
