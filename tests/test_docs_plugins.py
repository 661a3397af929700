"""docs/plugins.md is executed: every ```python block, in order, in one module ``toybank``
(so ``import toybank`` in a later block finds what the earlier blocks defined), in a temporary
directory. The blocks marked ``# toybank/__init__.py`` are the plugin module itself."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
PLUGIN_HEADER = "# toybank/__init__.py"


def python_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def plugin_source(text: str) -> str:
    """The plugin module the page writes: its ``# toybank/__init__.py`` blocks, joined."""
    return "\n\n".join(b for b in python_blocks(text) if b.startswith(PLUGIN_HEADER))


def test_every_hook_has_a_section_and_an_example() -> None:
    import steps_agents.hookspecs as hookspecs

    text = DOC.read_text(encoding="utf-8")
    source = plugin_source(text)
    hooks = [
        name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "steps_agents_spec")
    ]
    assert len(hooks) == 10
    for hook in hooks:
        assert f"### `{hook}(" in text or f"`{hook}(" in text, hook
        assert f"def {hook}(" in source, hook


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 12
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STEPS_AGENTS_NO_PROGRESS", "1")
    module = types.ModuleType("toybank")
    module.__file__ = str(tmp_path / "toybank.py")
    monkeypatch.setitem(sys.modules, "toybank", module)
    for n, block in enumerate(blocks, start=1):
        code = compile(block, f"{DOC.name} python block {n}", "exec")
        exec(code, module.__dict__)
    assert (tmp_path / "report.json").is_file()
