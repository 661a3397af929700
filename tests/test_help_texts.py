"""--help prints plain text: no reStructuredText markup from the modules' docstrings (finding 16)."""

from __future__ import annotations

import re

import pytest

from steps_agents.cli import main

RST = re.compile(r"``|:(mod|func|class|data|meth|attr):`")


@pytest.mark.parametrize("command", ["eval", "loop", "split"])
def test_help_has_no_rst_markup(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert f"steps {command}" in text and not RST.search(text), RST.findall(text)
