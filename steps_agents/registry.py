"""Typed lookups over the registration hooks.

Core code never reads ``pm.hook.*`` results directly: it asks for a component by name here and
gets a clear error listing what is available. Each registry records which plugin registered what,
so ``steps plugins`` can show it and a duplicate name names both culprits.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any

import pluggy

from steps_agents.errors import DuplicateComponentError, UnknownComponentError
from steps_agents.plugin_manager import default_plugin_manager

# kind -> name of the registration hook that fills it
REGISTRATION_HOOKS: dict[str, str] = {
    "extractor": "register_skill_extractors",
    "selector": "register_selectors",
    "synthesis mode": "register_synthesis_modes",
    "judge": "register_judges",
    "output format": "register_output_formats",
    "skill world": "register_skill_worlds",
    "agent": "register_agents",
}


@dataclass(frozen=True)
class Registration:
    name: str
    obj: Any
    plugin_name: str


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    """The plugin's registered name; for a plugin registered without one (pluggy then names it
    by ``id()``, a number that tells the user nothing) its module or ``module.Class``."""
    name = pm.get_name(plugin)
    if name and name != str(id(plugin)):
        return name
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def collect(kind: str, pm: pluggy.PluginManager | None = None) -> dict[str, Registration]:
    """All components of ``kind`` by name, in registration order."""
    pm = pm or default_plugin_manager()
    hook_name = REGISTRATION_HOOKS[kind]
    found: dict[str, Registration] = {}
    hook = getattr(pm.hook, hook_name)
    # Call each implementation separately so every registration is attributed to its plugin.
    for impl in reversed(hook.get_hookimpls()):  # pluggy stores them last-called-first
        owner = _plugin_name(pm, impl.plugin)

        def register(obj: Any, name: str | None = None, _owner: str = owner) -> None:
            key = name or getattr(obj, "name", None) or getattr(obj, "__name__", None)
            if not key:
                raise DuplicateComponentError(f"plugin {_owner} registered a {kind} without a name")
            if key in found:
                raise DuplicateComponentError(
                    f"{kind} {key!r} is registered by both {found[key].plugin_name} and {_owner};"
                    " rename one of them or uninstall a plugin"
                )
            found[key] = Registration(key, obj, _owner)

        # A hook implementation may take fewer arguments than the spec offers (pluggy allows it).
        impl.function(**({"register": register} if "register" in impl.argnames else {}))
    return found


def get_component(kind: str, name: str, pm: pluggy.PluginManager | None = None) -> Any:
    """The component of ``kind`` registered as ``name``; raise listing the available ones."""
    registry = collect(kind, pm)
    if name not in registry:
        raise UnknownComponentError(kind, name, list(registry))
    return registry[name].obj


def available(kind: str, pm: pluggy.PluginManager | None = None) -> list[str]:
    return list(collect(kind, pm))


def get_extractor(name: str, pm: pluggy.PluginManager | None = None) -> Any:
    return get_component("extractor", name, pm)


def get_selector(name: str, pm: pluggy.PluginManager | None = None) -> Any:
    return get_component("selector", name, pm)


def get_synthesis_mode(name: str, pm: pluggy.PluginManager | None = None) -> Any:
    return get_component("synthesis mode", name, pm)


def get_judge(name: str, pm: pluggy.PluginManager | None = None) -> Any:
    return get_component("judge", name, pm)


def get_output_format(name: str, pm: pluggy.PluginManager | None = None) -> Any:
    return get_component("output format", name, pm)


def get_skill_world(name: str, pm: pluggy.PluginManager | None = None) -> Any:
    return get_component("skill world", name, pm)


def get_agent(name: str, pm: pluggy.PluginManager | None = None) -> Any:
    return get_component("agent", name, pm)
