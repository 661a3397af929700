"""steps-agents: structural-entropy skill taxonomies for compositional data and k-skill evaluation.

A plugin needs only ``import steps_agents`` and ``@steps_agents.hookimpl``.
"""

from steps_agents.errors import InputError, StepsError, UnknownComponentError
from steps_agents.fileformats import STEPS_AGENTS_VERSION as __version__
from steps_agents.hookspecs import hookimpl
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.records import Combination, Verdict
from steps_agents.selection import select_combinations
from steps_agents.taxonomy.artifact import Taxonomy, load_taxonomy
from steps_agents.taxonomy.builder import build_taxonomy
from steps_agents.taxonomy.skillgraph import SkillGraph

__all__ = [
    "Combination",
    "InputError",
    "SkillGraph",
    "StepsError",
    "Taxonomy",
    "UnknownComponentError",
    "Verdict",
    "__version__",
    "build_taxonomy",
    "get_plugin_manager",
    "hookimpl",
    "load_taxonomy",
    "select_combinations",
]
