"""The plugin core: registration by name, duplicate and unknown names, autoload switch."""

from __future__ import annotations

import pluggy
import pytest

import steps_agents
from steps_agents import hookimpl
from steps_agents.errors import DuplicateComponentError, UnknownComponentError
from steps_agents.plugin_manager import BUILTIN_PLUGINS, get_plugin_manager
from steps_agents.registry import REGISTRATION_HOOKS, collect, get_component


class _SelectorPlugin:
    @hookimpl
    def register_selectors(self, register):  # type: ignore[no-untyped-def]
        register(object(), name="mine")


def test_builtins_are_registered_by_module_name() -> None:
    pm = get_plugin_manager(load_entrypoints=False)
    names = {name for name, _ in pm.list_name_plugin()}
    assert set(BUILTIN_PLUGINS) <= names


def test_each_call_builds_a_fresh_manager() -> None:
    pm1 = get_plugin_manager(load_entrypoints=False, extra_plugins=(_SelectorPlugin(),))
    pm2 = get_plugin_manager(load_entrypoints=False)
    assert "mine" in collect("selector", pm1)
    assert "mine" not in collect("selector", pm2)


def test_component_records_its_plugin() -> None:
    plugin = _SelectorPlugin()
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(plugin,))
    reg = collect("selector", pm)["mine"]
    # Registered without a name (pluggy would call it by its id()): named by module and class.
    assert reg.plugin_name == f"{__name__}._SelectorPlugin"


def test_duplicate_name_is_an_error_naming_both_plugins() -> None:
    pm = get_plugin_manager(
        load_entrypoints=False, extra_plugins=(_SelectorPlugin(), _SelectorPlugin())
    )
    with pytest.raises(
        DuplicateComponentError,
        match=rf"'mine' is registered by both {__name__}\._SelectorPlugin and {__name__}\.",
    ):
        collect("selector", pm)


def test_unknown_name_lists_available_and_is_a_keyerror() -> None:
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(_SelectorPlugin(),))
    with pytest.raises(KeyError) as info:
        get_component("selector", "nope", pm)
    assert isinstance(info.value, UnknownComponentError)
    assert "unknown selector 'nope'" in str(info.value)
    assert "mine" in str(info.value)


def test_misspelled_hook_fails_loudly() -> None:
    class Typo:
        @hookimpl
        def register_selector(self, register):  # type: ignore[no-untyped-def]  # missing "s"
            pass

    with pytest.raises(pluggy.PluginValidationError):
        get_plugin_manager(load_entrypoints=False, extra_plugins=(Typo(),))


def test_autoload_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    monkeypatch.setattr(
        pluggy.PluginManager,
        "load_setuptools_entrypoints",
        lambda self, group, name=None: loaded.append(group) or 0,
    )
    monkeypatch.setenv("STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD", "1")
    get_plugin_manager()
    assert loaded == []
    monkeypatch.delenv("STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD")
    get_plugin_manager()
    assert loaded == ["steps_agents"]


def test_every_registration_hook_has_a_kind() -> None:
    specs = {name for name in dir(steps_agents.hookspecs) if name.startswith("register_")}
    assert specs == set(REGISTRATION_HOOKS.values())


def test_hookimpl_is_reexported_from_the_package_root() -> None:
    assert steps_agents.hookimpl is steps_agents.hookspecs.hookimpl


def test_public_all_is_sorted_and_importable() -> None:
    assert list(steps_agents.__all__) == sorted(steps_agents.__all__)
    for name in steps_agents.__all__:
        assert hasattr(steps_agents, name), name
