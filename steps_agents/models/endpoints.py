"""One chat model object per server of a spec: what a local client calls."""

from __future__ import annotations

from typing import Any

from steps_agents.models.options import ModelOptions
from steps_agents.models.resolve import resolve_chat_model
from steps_agents.models.servers import Endpoint


def resolve_endpoints(spec: str, options: ModelOptions, *, pm: Any = None) -> list[Endpoint]:
    """``spec`` resolved once per server of ``options`` (once, with no URL, without one).

    The resolver gets the server's URL, the temperature and the key read from
    ``options.api_key_env``."""
    api_key = options.api_key()
    servers = options.servers()
    if not servers:
        model = resolve_chat_model(spec, pm=pm, api_key=api_key, temperature=options.temperature)
        return [Endpoint(None, model)]
    return [
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
    ]
