"""From a model spec string to a LangChain chat model.

:func:`resolve_chat_model` asks the ``resolve_chat_model`` hook (first answer wins, a user's
plugin before the built-ins). The built-in forms, tried in this order by ``plugins/models.py``:

- any spec with ``base_url=...``: the spec is the model name on an OpenAI-compatible server
  (vLLM, Ollama, LM Studio) through ``langchain_openai.ChatOpenAI`` (extra ``openai``);
- ``fake:echo``: the offline deterministic model of :mod:`.offline` (NOT a real LLM);
- ``module.path:attribute``: import the module, fetch the attribute; a chat model is used as it
  is, anything else callable is called with the options its signature accepts;
- ``provider:model`` (``openai:gpt-4o-mini``, ``anthropic:...``, ``ollama:llama3``): LangChain's
  own ``init_chat_model`` (extra ``langchain``, plus the provider's integration package).

The helpers here do the work; the hook implementation only decides which applies.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Mapping
from typing import Any

from steps_agents.errors import InputError, MissingExtraError, StepsError, UnknownComponentError

# LangChain's init_chat_model providers (langchain 1.0); used to recognise the form even when
# langchain is not installed, so the user hears "install the extra" rather than "unknown".
KNOWN_PROVIDERS = frozenset(
    {
        "anthropic",
        "azure_ai",
        "azure_openai",
        "bedrock",
        "bedrock_converse",
        "cohere",
        "deepseek",
        "fireworks",
        "google_anthropic_vertex",
        "google_genai",
        "google_vertexai",
        "groq",
        "huggingface",
        "ibm",
        "mistralai",
        "nvidia",
        "ollama",
        "openai",
        "perplexity",
        "together",
        "xai",
    }
)

ACCEPTED_FORMS = [
    "PROVIDER:MODEL (e.g. openai:gpt-4o-mini; needs steps-agents[langchain])",
    "MODULE:ATTRIBUTE (a chat model or a factory, e.g. mypkg.models:make_model)",
    "MODEL with --base-url URL (an OpenAI-compatible server; needs steps-agents[openai])",
    "fake:echo (offline, deterministic, not a real LLM)",
]


class MissingProviderPackage(MissingExtraError):
    """A provider's LangChain integration package (``langchain-anthropic`` ...) is missing."""

    def __init__(self, provider: str, detail: str) -> None:
        StepsError.__init__(
            self, f"model provider {provider!r} needs its LangChain integration package: {detail}"
        )


def is_chat_model(obj: Any) -> bool:
    """A LangChain chat model, or anything duck-typed like one (``ainvoke`` and ``invoke``)."""
    from langchain_core.language_models import BaseChatModel

    if isinstance(obj, BaseChatModel):
        return True
    return not isinstance(obj, type) and callable(getattr(obj, "ainvoke", None))


def clean_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options without the ``None`` values (so a model's own defaults apply)."""
    return {k: v for k, v in options.items() if v is not None}


def _call_with_accepted(factory: Any, options: Mapping[str, Any]) -> Any:
    """Call ``factory`` with the options its signature accepts (all of them if it takes **kw)."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins have no signature: call bare
        return factory()
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return factory(**options)
    accepted = {
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return factory(**{k: v for k, v in options.items() if k in accepted})


def module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package is missing, or a bad name
        return False


def load_attribute_model(spec: str, options: Mapping[str, Any]) -> Any:
    """``module.path:attr.sub`` -> the chat model it names or makes."""
    module_name, _, attribute = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import {module_name!r}: {exc}", location=spec) from exc
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise InputError(
                f"module {module_name!r} has no attribute {attribute!r}", location=spec
            )
        obj = getattr(obj, part)
    if is_chat_model(obj):
        return obj
    if not callable(obj):
        raise InputError(f"{attribute!r} is neither a chat model nor a factory", location=spec)
    try:
        model = _call_with_accepted(obj, clean_options(options))
    except TypeError as exc:  # wrong signature for a factory: say so in one line
        raise InputError(f"calling {attribute!r} failed: {exc}", location=spec) from exc
    if not is_chat_model(model):
        raise InputError(
            f"{attribute!r} returned {type(model).__name__}, not a LangChain chat model",
            location=spec,
        )
    return model


def init_provider_model(spec: str, options: Mapping[str, Any]) -> Any:
    """``provider:model`` (or a bare model name LangChain can place) via ``init_chat_model``."""
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise MissingExtraError(
            f"model spec {spec!r} (provider:model)", "langchain", "langchain"
        ) from exc
    provider, _, name = spec.partition(":") if ":" in spec else ("", "", spec)
    try:
        return init_chat_model(name, model_provider=provider or None, **clean_options(options))
    except ImportError as exc:
        if provider in {"openai", "azure_openai"}:
            raise MissingExtraError(f"model spec {spec!r}", "openai", "langchain-openai") from exc
        raise MissingProviderPackage(provider or name, str(exc).splitlines()[0]) from exc
    except ValueError as exc:  # unsupported or uninferable provider
        raise InputError(str(exc).splitlines()[0], location=spec) from exc


def openai_compatible_model(spec: str, options: Mapping[str, Any]) -> Any:
    """The model ``spec`` on the OpenAI-compatible server at ``options['base_url']``."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise MissingExtraError(
            "--base-url (OpenAI-compatible servers)", "openai", "langchain-openai"
        ) from exc
    kwargs = clean_options(options)
    # Local servers ignore the key but the client insists on one; retries are ModelClient's job
    # (two retry layers would multiply the attempts).
    kwargs.setdefault("api_key", "not-needed")
    kwargs.setdefault("max_retries", 0)
    return ChatOpenAI(model=spec, **kwargs)


def looks_like_module_spec(spec: str) -> bool:
    """``left:right`` where ``left`` is an importable module and ``right`` a dotted identifier."""
    left, sep, right = spec.partition(":")
    if not sep or not all(part.isidentifier() for part in right.split(".")):
        return False
    if not all(part.isidentifier() for part in left.split(".")):
        return False
    return module_exists(left)


def resolve_chat_model(spec: str, *, pm: Any = None, **options: Any) -> Any:
    """Turn ``spec`` into a chat model through the ``resolve_chat_model`` hook.

    ``options`` (``temperature``, ``base_url``, ``api_key``, ...) reach the resolver; ``None``
    values are dropped. An unrecognised spec raises :class:`UnknownComponentError` listing the
    accepted forms.
    """
    if not spec or not spec.strip():
        raise InputError("empty model spec; give --model SPEC")
    if pm is None:
        from steps_agents.plugin_manager import default_plugin_manager

        pm = default_plugin_manager()
    from steps_agents.registry import call_first

    model = call_first(pm, "resolve_chat_model", spec=spec.strip(), options=clean_options(options))
    if model is None:
        raise UnknownComponentError("model spec", spec, ACCEPTED_FORMS)
    return model
