"""``open_model``: a spec and its :class:`ModelOptions` in, a ready :class:`ModelClient` out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steps_agents.models.client import ModelClient
from steps_agents.models.options import ModelOptions
from steps_agents.models.resolve import resolve_chat_model


def open_model(
    spec: str,
    options: ModelOptions | None = None,
    *,
    cache_path: Path | None = None,
    pm: Any = None,
) -> ModelClient:
    """Resolve ``spec`` (see :func:`resolve_chat_model`) and wrap it in a :class:`ModelClient`.

    The resolver gets the base URL, the temperature and the key read from
    ``options.api_key_env``. The responses are cached at ``cache_path`` unless it is ``None`` or
    ``options.cache`` is false. The temperature and base URL join every cache key (the API key
    never does), so answers from one server or temperature are never served for another.
    """
    options = options or ModelOptions()
    model = resolve_chat_model(
        spec,
        pm=pm,
        base_url=options.base_url,
        api_key=options.api_key(),
        temperature=options.temperature,
    )
    return ModelClient.from_model(
        model,
        spec=spec,
        options=options,
        cache_path=cache_path,
        key_params=options.cache_key_params(),
    )
