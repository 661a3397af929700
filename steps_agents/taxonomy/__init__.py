"""Stage 1b, counts to taxonomy: the skill graph and the encoding tree minimising entropy.

- :mod:`~steps_agents.taxonomy.skillgraph`: the weighted co-occurrence graph (flat arrays);
- :mod:`~steps_agents.taxonomy.entropy`: structural entropy under an encoding tree;
- :mod:`~steps_agents.taxonomy.merge_heap`, :mod:`~steps_agents.taxonomy.refine`: one tree
  level by greedy merging, then local moves, both over a
  :class:`~steps_agents.taxonomy.levelgraph.LevelGraph` (the level's items and their edges);
- :mod:`~steps_agents.taxonomy.builder`: the whole tree, level by level;
- :mod:`~steps_agents.taxonomy.artifact`: the ``steps-agents/taxonomy@1`` file and its reader;
- :mod:`~steps_agents.taxonomy.planted`: planted hierarchies for tests and benchmarks.
"""
