"""Stage 2b: k-skill data synthesis with the LangGraph graph in ``graphs/synthesis.py``.

:func:`run_synthesis` runs a job (:class:`SynthConfig`) end to end and returns a
:class:`RunReport`; the agents (planner, composer, generator, critic) and the writer each live
in their own module here.
"""

from steps_agents.synthesis.config import SynthConfig, build_config
from steps_agents.synthesis.records import Provenance, RunReport, Sample

__all__ = ["Provenance", "RunReport", "Sample", "SynthConfig", "build_config"]
