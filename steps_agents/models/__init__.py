"""All model access of steps-agents: specs to chat models, and the client every call goes through.

- :func:`resolve_chat_model` turns a spec (``provider:model``, ``module:attribute``, a name with
  ``base_url``, ``fake:echo``) into a LangChain chat model via the ``resolve_chat_model`` hook;
- :class:`ModelClient` adds a response cache, a concurrency limit, timeouts, retries with
  backoff, pydantic structured outputs and call/token accounting (:class:`Usage`);
- :class:`ModelOptions` holds the settings of those calls (server, key variable, temperature,
  concurrency, retries, timeout, structured mode, cache), one object for every stage and the CLI;
- :func:`open_model` does both; :func:`add_model_arguments` / :func:`model_options_from_args` /
  :func:`client_from_args` give every CLI subcommand the same model flags.
"""

from steps_agents.models.cache import ResponseCache, cache_key
from steps_agents.models.cli_args import (
    add_model_arguments,
    client_from_args,
    model_options_from_args,
)
from steps_agents.models.client import ModelClient
from steps_agents.models.open import open_model
from steps_agents.models.options import ModelOptions
from steps_agents.models.resolve import resolve_chat_model
from steps_agents.models.usage import Usage

__all__ = [
    "ModelClient",
    "ModelOptions",
    "ResponseCache",
    "Usage",
    "add_model_arguments",
    "cache_key",
    "client_from_args",
    "model_options_from_args",
    "open_model",
    "resolve_chat_model",
]
