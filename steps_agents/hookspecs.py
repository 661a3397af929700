"""Every hook a steps-agents plugin can implement.

Registration hooks receive a ``register(obj, name=...)`` callback; the host records which plugin
registered what, and a duplicate name is an error. Components are then chosen by name from the
configuration (see :mod:`steps_agents.registry`), so behaviour never depends on install order.

``firstresult`` hooks answer "who can handle this input?": the first plugin that returns
something other than ``None`` wins; built-in fallbacks are ``trylast`` so a user's plugin wins.

``docs/plugins.md`` is the reference: each hook's contract, every field of the records it
receives, a world author's guide and a working example of every hook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import pluggy

PROJECT_NAME = "steps_agents"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class Register(Protocol):
    """The callback a registration hook receives."""

    def __call__(self, obj: Any, name: str | None = None) -> None: ...


# ---------------------------------------------------------------------------------------------
# Corpus input
# ---------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def open_corpus_source(source: str, options: Mapping[str, Any]) -> Iterable[Any] | None:
    """Open a corpus ``source`` (a path or a URI) as an iterable of ``(location, record)`` pairs.

    ``location`` is a string such as ``"corpus.jsonl:12"`` used in error messages; ``record`` is a
    mapping. Return ``None`` when this plugin does not recognise ``source`` so the next plugin can
    try. Iterate lazily: corpora may hold millions of records.
    """


@hookspec
def register_skill_extractors(register: Register) -> None:
    """Register skill-extractor factories by name.

    A factory is called as ``factory(options)`` with a :class:`~steps_agents.corpus.extract.ExtractorOptions`
    and returns an object with ``extract_batch(records) -> list[list[str]]``. A factory may define
    ``claims(record) -> bool`` so that ``--extractor auto`` can pick it by record shape.
    """


# ---------------------------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------------------------


@hookspec
def register_selectors(register: Register) -> None:
    """Register combination selectors by name (see :mod:`steps_agents.selection`)."""


# ---------------------------------------------------------------------------------------------
# Synthesis
# ---------------------------------------------------------------------------------------------


@hookspec
def register_synthesis_modes(register: Register) -> None:
    """Register synthesis modes (``instruct``, ``agentic``, ...) by name.

    A mode turns a skill combination into a work item, has the generator write it and knows its
    own intrinsic checks; see :mod:`steps_agents.synthesis.modes`.
    """


@hookspec
def register_judges(register: Register) -> None:
    """Register judges by name. A judge scores a generated sample and may abstain (return ``None``)."""


@hookspec
def register_output_formats(register: Register) -> None:
    """Register sample output formats (``messages``, ``sharegpt``, ``alpaca``, ...) by name."""


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolve_chat_model(spec: str, options: Mapping[str, Any]) -> Any | None:
    """Turn a model ``spec`` string into a LangChain chat model, or return ``None`` if not yours.

    ``options`` carries ``temperature``, ``base_url``, ``api_key`` and the like when given.
    """


# ---------------------------------------------------------------------------------------------
# Worlds and evaluation
# ---------------------------------------------------------------------------------------------


@hookspec
def register_skill_worlds(register: Register) -> None:
    """Register executable skill worlds by name (see :mod:`steps_agents.worlds`)."""


@hookspec
def register_agents(register: Register) -> None:
    """Register agent factories by name for ``steps eval --agent NAME``."""


@hookspec(firstresult=True)
def resolve_agent(spec: str, options: Any) -> Any | None:
    """Turn an agent ``spec`` (``steps eval --agent SPEC``) into an agent, or return ``None``.

    Called by :func:`steps_agents.evaluation.agents.resolve_agent` for every spec that is not the
    name of a registered agent (``register_agents``); the first plugin that returns an agent
    wins. ``options`` is the run's :class:`~steps_agents.evaluation.agents.AgentOptions` (seed,
    step limit, ``params`` such as ``model_options`` and ``cache_path``, the plugin manager).
    Return an object with ``name`` and ``async arun(episode) -> AgentOutput``, or ``None`` when
    the spec is not in a form this plugin handles, so the next plugin can try. Raise a
    :class:`~steps_agents.errors.StepsError` when the spec is yours but cannot be opened (a
    missing file, a model that cannot call tools). An agent that holds a model client exposes it
    as ``agent.client``: the caller reports its usage and closes it. The built-in forms
    ``model:<model spec>`` and ``path/to/file.py:graph`` are ``trylast`` fallbacks
    (``plugins/agents.py``), so a plugin that answers for them wins.
    """
