"""pytest fixtures for plugin tests. Enable them in your ``conftest.py``::

    pytest_plugins = ["steps_agents.testing.fixtures"]

and say which plugin to test by overriding ``steps_plugins``::

    @pytest.fixture
    def steps_plugins():
        import mypackage
        return [mypackage]

Fixtures: ``steps_plugins`` (default: none), ``steps_pm`` (a fresh manager with those plugins
and the built-ins, no entry points), ``steps_cli`` (runs ``steps ...`` in process with
``steps_pm`` and returns the exit code), ``offline_model`` (``fake:echo``) and
``judge_input`` (the :func:`steps_agents.testing.judge_input` factory).

Not registered through a ``pytest11`` entry point on purpose: this module is then loaded only
by the test suites that ask for it, and a suite that also lists it in ``pytest_plugins`` is not
handed the same plugin twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from steps_agents import testing


@pytest.fixture
def steps_plugins() -> Sequence[object]:
    """The plugins under test; override it in your ``conftest.py``."""
    return []


@pytest.fixture
def steps_pm(steps_plugins: Sequence[object]) -> Any:
    return testing.plugin_manager(*steps_plugins)


@pytest.fixture
def steps_cli(steps_pm: Any) -> Iterator[Callable[..., int]]:
    from steps_agents.cli import main

    def run(*argv: str) -> int:
        return main(list(argv))

    with testing.use_plugin_manager(steps_pm):
        yield run


@pytest.fixture
def offline_model() -> Any:
    return testing.offline_model()


@pytest.fixture
def judge_input() -> Callable[..., Any]:
    return testing.judge_input
