"""The model flags every subcommand shares, and the client they describe.

API keys never travel on the command line (they would land in shell history and ``ps``):
``--api-key-env NAME`` names the environment variable that holds the key.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.models.client import ModelClient
from steps_agents.models.open import open_model

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _RefuseKey(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.error(
            "API keys are never taken on the command line; put the key in an environment"
            " variable and pass --api-key-env NAME"
        )


def add_model_arguments(
    parser: argparse.ArgumentParser, *, default_model: str | None = None
) -> argparse._ArgumentGroup:
    """Add ``--model``, ``--base-url``, ``--api-key-env``, ``--temperature``, ``--concurrency``,
    ``--max-retries``, ``--timeout``, ``--structured`` and ``--no-cache`` to ``parser``."""
    group = parser.add_argument_group("model")
    group.add_argument(
        "--model",
        default=default_model,
        metavar="SPEC",
        help="chat model: PROVIDER:MODEL (needs steps-agents[langchain]), MODULE:ATTRIBUTE, a"
        " model name with --base-url, or fake:echo (offline, not a real LLM)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        help="OpenAI-compatible server (vLLM, Ollama, LM Studio); needs steps-agents[openai]",
    )
    group.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="environment variable holding the API key (keys are never taken on the command line)",
    )
    # A refusing --api-key: it also stops argparse from reading "--api-key sk-..." as an
    # abbreviation of --api-key-env (which would put the key into an error message).
    group.add_argument("--api-key", nargs="?", action=_RefuseKey, help=argparse.SUPPRESS)
    group.add_argument("--temperature", type=float, help="sampling temperature")
    group.add_argument(
        "--concurrency", type=int, default=8, help="model calls in flight at once (default 8)"
    )
    group.add_argument(
        "--max-retries",
        type=int,
        default=4,
        help="retries on rate limits, server errors, timeouts, malformed output (default 4)",
    )
    group.add_argument(
        "--timeout", type=float, default=120.0, help="seconds per model call (default 120)"
    )
    group.add_argument(
        "--structured",
        choices=("auto", "native", "json"),
        default="auto",
        help="structured output: the model's own (native), JSON in text (json), or auto",
    )
    group.add_argument(
        "--no-cache", action="store_true", help="do not read or write the response cache"
    )
    return group


def api_key_from_env(name: str | None) -> str | None:
    if not name:
        return None
    if not _ENV_NAME.fullmatch(name):  # probably a key pasted by mistake: never echo it
        raise InputError(
            "expects the NAME of an environment variable, not a key", location="--api-key-env"
        )
    value = os.environ.get(name)
    if not value:
        raise InputError(
            f"environment variable {name} is not set or empty", location="--api-key-env"
        )
    return value


def client_from_args(args: argparse.Namespace, *, cache_path: Path | None) -> ModelClient:
    """The :class:`ModelClient` the parsed flags describe; ``--no-cache`` drops ``cache_path``."""
    if not getattr(args, "model", None):
        raise InputError("no model given", location="--model")
    for flag in ("concurrency",):
        if getattr(args, flag) < 1:
            raise InputError("must be at least 1", location=f"--{flag}")
    if args.max_retries < 0:
        raise InputError("must be 0 or more", location="--max-retries")
    if args.timeout is not None and args.timeout <= 0:
        raise InputError("must be positive", location="--timeout")
    return open_model(
        args.model,
        base_url=args.base_url,
        api_key=api_key_from_env(args.api_key_env),
        temperature=args.temperature,
        cache_path=None if args.no_cache else cache_path,
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        timeout=args.timeout,
        structured=getattr(args, "structured", "auto"),
    )
