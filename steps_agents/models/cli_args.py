"""The model flags every subcommand shares, and the :class:`ModelOptions` they describe.

:func:`add_model_arguments` adds the flags; :func:`model_options_from_args` turns the parsed
flags into a :class:`ModelOptions` (one :class:`InputError` line naming the flag when a value is
out of range); :func:`client_from_args` opens the client they describe. Every flag defaults to
``None`` (the help shows the effective default), so a caller can tell a flag given on the
command line from one left out and let a config file fill the rest (``steps synth --config``).

API keys never travel on the command line (they would land in shell history and ``ps``):
``--api-key-env NAME`` names the environment variable that holds the key.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.models.client import ModelClient
from steps_agents.models.open import open_model
from steps_agents.models.options import ModelOptions
from steps_agents.runtime.config import validate_or_raise

# ModelOptions field -> its flag, in the order the flags are added (``backoff`` has none).
FLAGS: dict[str, str] = {
    "base_url": "--base-url",
    "api_key_env": "--api-key-env",
    "temperature": "--temperature",
    "concurrency": "--concurrency",
    "max_retries": "--max-retries",
    "timeout": "--timeout",
    "structured": "--structured",
    "cache": "--no-cache",
}
_DESTS = "_model_option_flags"  # where a parser records which flag holds which option

_HELP = {
    "base_url": "OpenAI-compatible server (vLLM, Ollama, LM Studio); needs steps-agents[openai];"
    " repeat for several servers (calls go to the least loaded), URL#N caps one at N calls",
    "api_key_env": "environment variable holding the API key (keys are never taken on the"
    " command line)",
    "temperature": "sampling temperature, 0 to 2 (default: the model's own)",
    "concurrency": "model calls in flight at once over all servers (default 8, or the sum of"
    " the URL#N caps when every --base-url has one); each server's share adapts to 429s",
    "max_retries": "retries on rate limits, server errors, timeouts, malformed output (default 4)",
    "timeout": "seconds per model call (default 120)",
    "structured": "structured output: the model's own (native), JSON in text (json), or auto"
    " (default)",
    "cache": "do not read or write the response cache",
}
_METAVARS = {"base_url": "URL", "api_key_env": "NAME"}
_TYPES: dict[str, Callable[[str], Any]] = {
    "temperature": float,
    "concurrency": int,
    "max_retries": int,
    "timeout": float,
}


class _RefuseKey(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.error(
            "API keys are never taken on the command line; put the key in an environment"
            " variable and pass --api-key-env NAME"
        )


def add_model_arguments(
    parser: argparse.ArgumentParser,
    *,
    default_model: str | None = None,
    spec_flag: bool = True,
    rename: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
    title: str = "model",
) -> argparse._ArgumentGroup:
    """Add ``--model`` (unless ``spec_flag`` is false) and one flag per model option (:data:`FLAGS`,
    ``rename`` maps an option to another flag name, ``skip`` leaves options out, e.g. when the
    subcommand's own flag of that name means something else)."""
    group = parser.add_argument_group(title)
    if spec_flag:
        group.add_argument(
            "--model",
            default=default_model,
            metavar="SPEC",
            help="chat model: PROVIDER:MODEL (needs steps-agents[langchain]), MODULE:ATTRIBUTE, a"
            " model name with --base-url, or fake:echo (offline, not a real LLM)",
        )
    flags = {field: (rename or {}).get(field, flag) for field, flag in FLAGS.items()}
    flags = {field: flag for field, flag in flags.items() if field not in skip}
    for field, flag in flags.items():
        dest = _dest(field, flag)
        if field == "cache":
            group.add_argument(
                flag, dest=dest, action="store_false", default=None, help=_HELP[field]
            )
        elif field == "base_url":
            group.add_argument(
                flag, dest=dest, action="append", metavar="URL[#N]", help=_HELP[field]
            )
        elif field == "structured":
            group.add_argument(
                flag, dest=dest, choices=("auto", "native", "json"), help=_HELP[field]
            )
        else:
            group.add_argument(
                flag,
                dest=dest,
                type=_TYPES.get(field, str),
                metavar=_METAVARS.get(field),
                help=_HELP[field],
            )
        if field == "api_key_env":
            # A refusing --api-key: it also stops argparse from reading "--api-key sk-..." as an
            # abbreviation of --api-key-env (which would put the key into an error message).
            group.add_argument("--api-key", nargs="?", action=_RefuseKey, help=argparse.SUPPRESS)
    parser.set_defaults(**{_DESTS: flags})
    return group


def _dest(field: str, flag: str) -> str:
    """Where argparse stores an option: the field's name, or a renamed flag's own name (so
    ``--model-timeout`` never lands in the subcommand's ``timeout``)."""
    return field if flag == FLAGS[field] else flag.lstrip("-").replace("-", "_")


def model_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The model options given on the command line (flags left out are not in the dict)."""
    flags: dict[str, str] = getattr(args, _DESTS, {})
    values = {field: getattr(args, _dest(field, flag)) for field, flag in flags.items()}
    return {field: value for field, value in values.items() if value is not None}


def flag_of(field: str, args: argparse.Namespace | None = None) -> str:
    """The flag that sets model option ``field`` (``--timeout``), for error messages."""
    flags: dict[str, str] = getattr(args, _DESTS, FLAGS) if args is not None else FLAGS
    return flags.get(field, FLAGS.get(field, "--" + field.replace("_", "-")))


def model_options_from_args(args: argparse.Namespace, **given: Any) -> ModelOptions:
    """The :class:`ModelOptions` the parsed flags describe; ``given`` supplies options the
    subcommand sets from its own flags (``steps eval``: ``concurrency``)."""
    values = {**given, **model_overrides(args)}
    return validate_or_raise(ModelOptions, values, lambda field: flag_of(field, args))


def client_from_args(args: argparse.Namespace, *, cache_path: Path | None) -> ModelClient:
    """The :class:`ModelClient` the parsed flags describe; ``--no-cache`` drops ``cache_path``."""
    if not getattr(args, "model", None):
        raise InputError("no model given", location="--model")
    return open_model(args.model, model_options_from_args(args), cache_path=cache_path)
