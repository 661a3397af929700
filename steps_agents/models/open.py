"""``open_model``: a spec and its :class:`ModelOptions` in, a ready :class:`ModelClient` out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from steps_agents.models.client import ModelClient
from steps_agents.models.endpoints import resolve_endpoints
from steps_agents.models.options import ModelOptions


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
    the calls over them (:mod:`.servers`). ``options.executor == "ray"``: the requests are
    sent from Ray workers (:mod:`.remote`), the cache and the counters stay here.
    """
    options = options or ModelOptions()
    endpoints = resolve_endpoints(spec, options, pm=pm)
    if options.executor == "ray":
        from steps_agents.models.remote import open_remote_model

        return open_remote_model(spec, options, cache_path=cache_path, model=endpoints[0].model)
    return ModelClient.from_model(
        endpoints[0].model,
        spec=spec,
        options=options,
        cache_path=cache_path,
        key_params=options.cache_key_params(),
        endpoints=endpoints,
    )
