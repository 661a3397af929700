"""Model specs: every built-in form, the plugin hook, and the messages for wrong specs."""

from __future__ import annotations

import sys
from typing import Any

import pytest
import test_models_fakes as fakes
from langchain_core.language_models.fake_chat_models import FakeListChatModel

import steps_agents
from steps_agents.errors import InputError, MissingExtraError, UnknownComponentError
from steps_agents.models import ModelOptions, open_model, resolve_chat_model
from steps_agents.models.offline import OfflineEchoModel
from steps_agents.plugin_manager import get_plugin_manager


@pytest.fixture
def pm() -> Any:
    return get_plugin_manager(load_entrypoints=False)


def test_module_attribute_factory_gets_only_the_options_it_accepts(pm: Any) -> None:
    fakes.FACTORY_CALLS.clear()
    model = resolve_chat_model(
        "test_models_fakes:make_fake", pm=pm, temperature=0.3, api_key="k", base_url=None
    )
    assert isinstance(model, FakeListChatModel)
    assert model.invoke("hi").content == "factory answer"
    assert fakes.FACTORY_CALLS == [{"temperature": 0.3}]


def test_module_attribute_factory_with_kwargs_gets_all_non_none_options(pm: Any) -> None:
    fakes.FACTORY_CALLS.clear()
    resolve_chat_model("test_models_fakes:make_fake_kwargs", pm=pm, temperature=0.0, api_key=None)
    assert fakes.FACTORY_CALLS == [{"temperature": 0.0}]


def test_module_attribute_ready_model_is_used_as_is(pm: Any) -> None:
    assert resolve_chat_model("test_models_fakes:READY_MODEL", pm=pm) is fakes.READY_MODEL


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("test_models_fakes:no_such_thing", "has no attribute 'no_such_thing'"),
        ("test_models_fakes:make_not_a_model", "returned str, not a LangChain chat model"),
        ("test_models_fakes:RateLimitError", "returned RateLimitError"),
        ("no_such_pkg.sub:factory", "cannot import 'no_such_pkg.sub'"),
    ],
)
def test_module_attribute_errors_are_one_line(pm: Any, spec: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        resolve_chat_model(spec, pm=pm)
    message = str(info.value)
    assert fragment in message and message.startswith(spec) and "\n" not in message


def test_provider_model_without_langchain_names_the_extra(
    pm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "langchain", None)  # import langchain -> ImportError
    monkeypatch.setitem(sys.modules, "langchain.chat_models", None)
    for spec in ("openai:gpt-4o-mini", "anthropic:claude-sonnet-4-5", "ollama:llama3"):
        with pytest.raises(MissingExtraError) as info:
            resolve_chat_model(spec, pm=pm)
        assert "pip install 'steps-agents[langchain]'" in str(info.value)
        assert spec in str(info.value)
        assert isinstance(info.value, ImportError)


def test_base_url_without_langchain_openai_names_the_extra(
    pm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_openai", None)
    with pytest.raises(MissingExtraError) as info:
        resolve_chat_model("llama3.1:8b", pm=pm, base_url="http://127.0.0.1:11434/v1")
    assert "steps-agents[openai]" in str(info.value)


def test_base_url_builds_chat_openai_for_the_server(pm: Any) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    model = resolve_chat_model(
        "llama3.1:8b", pm=pm, base_url="http://127.0.0.1:9/v1", temperature=0.2
    )
    assert isinstance(model, langchain_openai.ChatOpenAI)
    assert model.model_name == "llama3.1:8b"
    assert str(model.openai_api_base).startswith("http://127.0.0.1:9/v1")
    assert model.temperature == 0.2
    assert model.max_retries == 0  # ModelClient does the retrying


@pytest.mark.parametrize("spec", ["nonsense", "nope:thing", "gpt-4o"])
def test_unknown_spec_lists_the_accepted_forms(
    pm: Any, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    monkeypatch.setitem(sys.modules, "langchain", None)
    with pytest.raises(UnknownComponentError) as info:
        resolve_chat_model(spec, pm=pm)
    message = str(info.value)
    assert message.startswith(f"unknown model spec {spec!r}")
    for form in ("PROVIDER:MODEL", "MODULE:ATTRIBUTE", "--base-url", "fake:echo"):
        assert form in message
    assert isinstance(info.value, KeyError) and "\n" not in message


def test_empty_spec_is_an_input_error(pm: Any) -> None:
    with pytest.raises(InputError, match="empty model spec"):
        resolve_chat_model("  ", pm=pm)


def test_offline_specs(pm: Any) -> None:
    assert isinstance(resolve_chat_model("fake:echo", pm=pm), OfflineEchoModel)
    with pytest.raises(InputError, match="available: fake:echo"):
        resolve_chat_model("fake:genius", pm=pm)


class _UserPlugin:
    """A third-party resolver: claims its own prefix and also overrides a built-in spec."""

    @steps_agents.hookimpl
    def resolve_chat_model(self, spec: str, options: Any) -> Any:
        if spec.startswith("mine:") or spec == "fake:echo":
            return FakeListChatModel(responses=[f"from plugin for {spec}"])
        return None


def test_a_plugin_resolver_wins_over_the_builtins() -> None:
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(_UserPlugin(),))
    assert resolve_chat_model("mine:x", pm=pm).invoke("q").content == "from plugin for mine:x"
    # trylast built-ins: the user's plugin answers first even for a built-in spec
    assert isinstance(resolve_chat_model("fake:echo", pm=pm), FakeListChatModel)
    # and specs it declines still reach the built-ins
    assert isinstance(resolve_chat_model("test_models_fakes:READY_MODEL", pm=pm), FakeListChatModel)


def test_open_model_wraps_the_resolved_model(pm: Any) -> None:
    client = open_model("test_models_fakes:make_fake", ModelOptions(temperature=0.5), pm=pm)
    try:
        assert client.spec == "test_models_fakes:make_fake"
        assert client.key_params == {"temperature": 0.5}
        assert client.invoke([("human", "hello")]).content == "factory answer"
        assert client.usage.calls == 1
    finally:
        client.close()


@pytest.fixture
def fake_langchain(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A stand-in ``langchain.chat_models.init_chat_model`` that records how it was called."""
    import importlib.machinery
    import types

    calls: list[dict[str, Any]] = []

    def init_chat_model(model: str, *, model_provider: str | None = None, **kw: Any) -> Any:
        calls.append({"model": model, "model_provider": model_provider, **kw})
        if model_provider == "anthropic":
            raise ImportError("Unable to import langchain_anthropic. Please install it.")
        if model_provider == "openai" and model == "missing":
            raise ImportError("Unable to import langchain_openai.")
        if model_provider is None and not model.startswith("gpt-"):
            raise ValueError(f"Unable to infer model provider for {model=}.\nmore text")
        return FakeListChatModel(responses=[f"{model_provider}/{model}"])

    package = types.ModuleType("langchain")
    package.__spec__ = importlib.machinery.ModuleSpec("langchain", None)
    sub = types.ModuleType("langchain.chat_models")
    sub.init_chat_model = init_chat_model  # type: ignore[attr-defined]
    package.chat_models = sub  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "langchain", package)
    monkeypatch.setitem(sys.modules, "langchain.chat_models", sub)
    return calls


def test_provider_model_goes_through_init_chat_model(pm: Any, fake_langchain: list[Any]) -> None:
    model = resolve_chat_model("openai:gpt-4o-mini", pm=pm, temperature=0.7, api_key=None)
    assert model.invoke("q").content == "openai/gpt-4o-mini"
    assert fake_langchain == [
        {"model": "gpt-4o-mini", "model_provider": "openai", "temperature": 0.7}
    ]
    # ollama model names contain ':' themselves; only the first ':' splits
    resolve_chat_model("ollama:llama3.1:8b", pm=pm)
    assert fake_langchain[-1]["model"] == "llama3.1:8b"
    # a bare name LangChain can place
    resolve_chat_model("gpt-4o", pm=pm)
    assert fake_langchain[-1] == {"model": "gpt-4o", "model_provider": None}


def test_provider_errors_from_langchain_are_one_line(pm: Any, fake_langchain: list[Any]) -> None:
    with pytest.raises(MissingExtraError, match="LangChain integration package: Unable to import"):
        resolve_chat_model("anthropic:claude-sonnet-4-5", pm=pm)
    with pytest.raises(MissingExtraError, match=r"steps-agents\[openai\]"):
        resolve_chat_model("openai:missing", pm=pm)
    with pytest.raises(InputError) as info:
        resolve_chat_model("mystery-model", pm=pm)
    assert (
        str(info.value)
        == "mystery-model: Unable to infer model provider for model='mystery-model'."
    )
