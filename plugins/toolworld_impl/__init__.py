"""Implementation of the built-in ``toolworld`` skill world (registered by plugins/toolworld.py).

Pure Python over an in-memory JSON state (no real file system, network or subprocess; tools
run under :func:`steps_agents.worlds.sandboxed`). Modules, one per domain group:
``files``, ``calendar`` (dates and events), ``mathstats`` (math, stats), ``text``, ``tables``,
``units`` (units and currency), ``inbox`` (mail and contacts), ``commerce`` (orders and
inventory); ``state`` makes the seeded initial state; ``world`` assembles :class:`ToolWorld`.
``trajectories.jsonl.gz`` is the bundled corpus (examples/make_toolworld_corpus.py).
"""

from steps_agents.plugins.toolworld_impl.world import ALL_TOOLS, ToolWorld

__all__ = ["ALL_TOOLS", "ToolWorld"]
