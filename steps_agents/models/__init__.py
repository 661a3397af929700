"""All model access of steps-agents: specs to chat models, and the client every call goes through.

- :func:`resolve_chat_model` turns a spec (``provider:model``, ``module:attribute``, a name with
  ``base_url``, ``fake:echo``) into a LangChain chat model via the ``resolve_chat_model`` hook;
- :class:`ModelClient` adds a response cache, a concurrency limit, timeouts, retries with
  backoff, pydantic structured outputs and call/token accounting (:class:`Usage`);
- :func:`open_model` does both; :func:`add_model_arguments` / :func:`client_from_args` give every
  CLI subcommand the same model flags.
"""

from steps_agents.models.cache import ResponseCache, cache_key
from steps_agents.models.cli_args import add_model_arguments, client_from_args
from steps_agents.models.client import ModelClient
from steps_agents.models.open import open_model
from steps_agents.models.resolve import resolve_chat_model
from steps_agents.models.usage import Usage

__all__ = [
    "ModelClient",
    "ResponseCache",
    "Usage",
    "add_model_arguments",
    "cache_key",
    "client_from_args",
    "open_model",
    "resolve_chat_model",
]
