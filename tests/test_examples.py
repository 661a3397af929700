"""Examples under examples/ run offline and do what their docstrings say (the corpus scripts
are checked byte for byte in test_corpus.py and test_toolworld.py)."""

from __future__ import annotations

import importlib.util
import runpy
import shutil
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_api_example_with_an_in_process_selector_plugin(tmp_path: Path) -> None:
    summary = _load(EXAMPLES / "python_api.py").main(tmp_path)
    assert (tmp_path / "taxonomy.json").exists()
    # The plugin's sets span distinct top-level communities (LCA at the root, depth 0) and so
    # carry more information; the coherent `steps` sets stay deeper in the tree.
    assert summary["one-per-community"][1] == 0.0
    assert summary["steps"][1] > summary["one-per-community"][1]
    assert summary["one-per-community"][0] > summary["steps"][0]


def test_plugin_example_notes_are_reproducible(tmp_path: Path) -> None:
    plugin_dir = tmp_path / "steps-agents-csv"
    shutil.copytree(EXAMPLES / "steps-agents-csv", plugin_dir)
    committed = (plugin_dir / "notes.csv").read_bytes()
    (plugin_dir / "notes.csv").unlink()
    runpy.run_path(str(plugin_dir / "make_notes.py"), run_name="__main__")
    assert (plugin_dir / "notes.csv").read_bytes() == committed
