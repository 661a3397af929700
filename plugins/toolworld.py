"""Built-in plugin: the ``toolworld`` executable skill world and its bundled corpus path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import steps_agents

CORPUS_PATH = Path(__file__).parent / "toolworld_impl" / "trajectories.jsonl.gz"


@steps_agents.hookimpl
def register_skill_worlds(register: Any) -> None:
    from steps_agents.plugins.toolworld_impl import ToolWorld

    register(ToolWorld(corpus=CORPUS_PATH), name="toolworld")
