"""The plugin manager: built-ins from an explicit list, third parties from the entry-point group.

``get_plugin_manager()`` builds a fresh manager every call (tests rely on that); the CLI keeps
one per process. ``check_pending()`` makes a misspelled hook name fail loudly at load time.
"""

from __future__ import annotations

import importlib
import os

import pluggy

from steps_agents import hookspecs
from steps_agents.errors import StepsError
from steps_agents.fileformats import STEPS_AGENTS_VERSION

ENTRY_POINT_GROUP = "steps_agents"
DISABLE_AUTOLOAD_ENV = "STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD"

# Built-in plugins, each written exactly as a third-party plugin would be.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "steps_agents.plugins.jsonl_source",
    "steps_agents.plugins.extractors",
    "steps_agents.plugins.traces",
    "steps_agents.plugins.llm_extractor",
    "steps_agents.plugins.selectors",
    "steps_agents.plugins.models",
    "steps_agents.plugins.judges",
    "steps_agents.plugins.plan_judge",
    "steps_agents.plugins.formats",
    "steps_agents.plugins.instruct_mode",
    "steps_agents.plugins.toolworld",
    "steps_agents.plugins.agentic_mode",
    "steps_agents.plugins.agents",
    "steps_agents.plugins.keyword_agent",
)


def _autoload_disabled() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def get_plugin_manager(
    *, load_entrypoints: bool | None = None, extra_plugins: tuple[object, ...] = ()
) -> pluggy.PluginManager:
    """Return a new plugin manager with the built-ins, entry-point plugins and ``extra_plugins``.

    ``load_entrypoints=None`` means "unless ``STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD`` is set".
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    if load_entrypoints is None:
        load_entrypoints = not _autoload_disabled()
    if load_entrypoints:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # an installed plugin that does not import: name it
            raise _broken_plugin(exc) from exc
    for plugin in extra_plugins:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise InvalidPluginError(exc.plugin, f"{_one_line(exc)}; {_SKIP_HINT}") from exc
    return pm


class InvalidPluginError(StepsError, pluggy.PluginValidationError):
    """A plugin implements a hook nobody specified (a misspelled name): one line for the CLI,
    still a ``pluggy.PluginValidationError`` for code that catches that."""

    def __init__(self, plugin: object, message: str) -> None:
        pluggy.PluginValidationError.__init__(self, plugin, message)


_SKIP_HINT = (
    f"fix or uninstall that plugin, or set {DISABLE_AUTOLOAD_ENV}=1 to skip third-party plugins"
)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _broken_plugin(exc: Exception) -> StepsError:
    """The error for an entry point that failed to load, naming it (found again, only on this
    error path, by loading each entry point of the group until one fails)."""
    from importlib.metadata import entry_points

    culprit = "a plugin"
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception:
            culprit = f"plugin {ep.name!r} ({ep.value})"
            break
    return StepsError(f"{culprit} failed to load: {_one_line(exc)}; {_SKIP_HINT}")


_DEFAULT: pluggy.PluginManager | None = None


def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager the CLI and the convenience functions use."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = get_plugin_manager()
    return _DEFAULT


def plugin_version(pm: pluggy.PluginManager, plugin: object) -> str:
    """The distribution version a plugin came from (entry point) or the project's own version."""
    for loaded, dist in pm.list_plugin_distinfo():
        if loaded is plugin:
            return str(dist.version)
    return STEPS_AGENTS_VERSION
