"""``open_model``: a spec and its :class:`ModelOptions` in, a ready :class:`ModelClient` out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steps_agents.models.client import ModelClient
from steps_agents.models.options import ModelOptions
from steps_agents.models.resolve import resolve_chat_model
from steps_agents.models.servers import Endpoint


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
    Several servers (``base_url`` a list): one model object per server, and the client spreads
    the calls over them (:mod:`.servers`).
    """
    options = options or ModelOptions()
    servers = options.servers()
    api_key = options.api_key()
    endpoints = [
        Endpoint(
            server.url,
            resolve_chat_model(
                spec,
                pm=pm,
                base_url=server.url,
                api_key=api_key,
                temperature=options.temperature,
            ),
            server.concurrency,
        )
        for server in servers
    ] or [
        Endpoint(
            None,
            resolve_chat_model(spec, pm=pm, api_key=api_key, temperature=options.temperature),
        )
    ]
    return ModelClient.from_model(
        endpoints[0].model,
        spec=spec,
        options=options,
        cache_path=cache_path,
        key_params=options.cache_key_params(),
        endpoints=endpoints,
    )
