"""Stage 1a, corpus to counts: sources, skill extraction, lexicons, co-occurrence, power laws.

- :mod:`~steps_agents.corpus.sources`: open a path or URI as ``(location, record)`` pairs;
- :mod:`~steps_agents.corpus.extract`: records to skill sets through extractor plugins;
- :mod:`~steps_agents.corpus.lexicon`: a skill vocabulary for free text;
- :mod:`~steps_agents.corpus.cooccurrence`: streaming ``c_i``, ``c_ij`` and whole-set counts;
- :mod:`~steps_agents.corpus.powerlaw`: are skill combinations long-tailed (STEPS section 1)?
"""
