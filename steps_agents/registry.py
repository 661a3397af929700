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

from steps_agents.errors import DuplicateComponentError, StepsError, UnknownComponentError
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


class PluginError(StepsError):
    """A plugin's hook implementation raised something other than a steps-agents error: a bug
    in the plugin, named so the user knows which package to fix or uninstall (exit 2)."""

    exit_code = 2

    def __init__(self, plugin: str, hook: str, error: BaseException) -> None:
        self.plugin, self.hook = plugin, hook
        detail = " ".join(str(error).split())[:300] or "(no message)"
        super().__init__(
            f"plugin {plugin!r} failed in hook {hook}: {type(error).__name__}: {detail}"
        )


def _call_impl(pm: pluggy.PluginManager, impl: Any, hook: str, kwargs: dict[str, Any]) -> Any:
    """One hook implementation, with only the arguments it takes (pluggy allows fewer than the
    spec offers); anything but a steps-agents error becomes a :class:`PluginError`."""
    try:
        return impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
    except StepsError:
        raise  # a plugin's own InputError is a message for the user, already worded
    except Exception as exc:
        raise PluginError(_plugin_name(pm, impl.plugin), hook, exc) from exc


def call_first(pm: pluggy.PluginManager, hook: str, **kwargs: Any) -> Any:
    """A ``firstresult`` hook called plugin by plugin, in pluggy's order: the first answer that
    is not ``None``. A plugin that raises is skipped, so one broken plugin cannot take a spec
    another plugin handles (``fake:echo``); when no plugin answers, the first failure is raised
    as a :class:`PluginError` naming the plugin and hook (else ``None``)."""
    caller = getattr(pm.hook, hook)
    impls = caller.get_hookimpls()
    if any(impl.hookwrapper or impl.wrapper for impl in impls):
        return caller(**kwargs)  # wrappers need pluggy's own call loop
    failures: list[PluginError] = []
    for impl in reversed(impls):  # pluggy stores them last-called-first
        try:
            result = _call_impl(pm, impl, hook, kwargs)
        except PluginError as exc:
            failures.append(exc)
            continue
        if result is not None:
            return result
    if failures:
        raise failures[0]
    return None


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


def collect(
    kind: str,
    pm: pluggy.PluginManager | None = None,
    failures: list[PluginError] | None = None,
) -> dict[str, Registration]:
    """All components of ``kind`` by name, in registration order.

    A plugin whose registration hook raises is a :class:`PluginError` naming it; with a
    ``failures`` list the error is appended there instead, the plugin's partial registrations
    are dropped and the other plugins' components are still returned."""
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

        before = set(found)
        try:
            _call_impl(pm, impl, hook_name, {"register": register})
        except PluginError as exc:
            if failures is None:
                raise
            failures.append(exc)
            for key in set(found) - before:
                del found[key]
    return found


def build(reg: Registration, kind: str, *args: Any) -> Any:
    """Call a registered factory ``reg.obj(*args)``; anything it raises but a steps-agents error
    is a :class:`PluginError` naming the plugin that registered it."""
    try:
        return reg.obj(*args)
    except StepsError:
        raise
    except Exception as exc:
        where = f"{REGISTRATION_HOOKS[kind]} ({kind} {reg.name!r})"
        raise PluginError(reg.plugin_name, where, exc) from exc


def get_component(kind: str, name: str, pm: pluggy.PluginManager | None = None) -> Any:
    """The component of ``kind`` registered as ``name``; raise listing the available ones.

    A broken plugin does not hide the others' components: its :class:`PluginError` is raised
    only when ``name`` is found nowhere else (the broken plugin may be the one providing it)."""
    failures: list[PluginError] = []
    registry = collect(kind, pm, failures)
    if name not in registry:
        if failures:
            raise failures[0]
        raise UnknownComponentError(kind, name, list(registry))
    return registry[name].obj


def available(kind: str, pm: pluggy.PluginManager | None = None) -> list[str]:
    """The names of ``kind`` that working plugins register (a broken plugin's are left out)."""
    return list(collect(kind, pm, []))


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
