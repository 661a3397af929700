"""Built-in plugin: the model spec forms every install understands.

One ``trylast`` implementation of ``resolve_chat_model``, so any user plugin answers first. It
only picks the form; :mod:`steps_agents.models.resolve` does the work.

A third-party resolver looks the same, without ``trylast``::

    @steps_agents.hookimpl
    def resolve_chat_model(spec, options):
        if spec.startswith("mycloud:"):
            return MyCloudChat(model=spec.removeprefix("mycloud:"), **options)
        return None  # not mine: let the next plugin try
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import steps_agents
from steps_agents.models import offline
from steps_agents.models.resolve import (
    KNOWN_PROVIDERS,
    init_provider_model,
    load_attribute_model,
    looks_like_module_spec,
    module_exists,
    openai_compatible_model,
)


@steps_agents.hookimpl(trylast=True)
def resolve_chat_model(spec: str, options: Mapping[str, Any]) -> Any | None:
    if options.get("base_url"):
        # The spec is a server-side model name and may itself contain ':' (llama3.1:8b).
        return openai_compatible_model(spec, options)
    if spec.startswith(offline.SPEC_PREFIX):
        return offline.make_offline_model(spec, options)
    provider = spec.partition(":")[0]
    if looks_like_module_spec(spec) and provider not in KNOWN_PROVIDERS:
        return load_attribute_model(spec, options)
    if ":" in spec and provider in KNOWN_PROVIDERS:
        return init_provider_model(spec, options)
    if ":" in spec and "." in provider:  # clearly meant as module:attribute; say what failed
        return load_attribute_model(spec, options)
    if ":" not in spec and module_exists("langchain"):
        # A bare model name LangChain can place (gpt-4o, claude-...); its error says if not.
        return init_provider_model(spec, options)
    return None
