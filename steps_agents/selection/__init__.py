"""Stage 2a: entropy-guided selection of k-skill combinations (STEPS spec, sections 4-5).

Public API: :func:`select_combinations` (selectors chosen by name through the plugin registry),
the :class:`Selector` protocol and :class:`SelectionRequest` a plugin selector receives,
:func:`make_combination`, the information measures (:func:`conditional_entropy`, :func:`gain`,
:func:`set_information`) and the k / curriculum helpers.
"""

from steps_agents.selection.api import (
    SelectionRequest,
    Selector,
    make_combination,
    seed_order,
    seed_stream,
    select_combinations,
)
from steps_agents.selection.beam import beam_search, reference_beam, regions
from steps_agents.selection.curriculum import (
    DEFAULT_K,
    SPEC_SCHEDULE,
    apportion,
    curriculum_k_weights,
    curriculum_schedule,
    k_plan,
    order_by_curriculum,
    parse_k,
    parse_k_weights,
)
from steps_agents.selection.gain import conditional_entropy, covered_nodes, gain, set_information
from steps_agents.selection.index import TreeIndex, tree_index
from steps_agents.selection.report import coverage_report, format_report

__all__ = [
    "DEFAULT_K",
    "SPEC_SCHEDULE",
    "SelectionRequest",
    "Selector",
    "TreeIndex",
    "apportion",
    "beam_search",
    "conditional_entropy",
    "coverage_report",
    "covered_nodes",
    "curriculum_k_weights",
    "curriculum_schedule",
    "format_report",
    "gain",
    "k_plan",
    "make_combination",
    "order_by_curriculum",
    "parse_k",
    "parse_k_weights",
    "reference_beam",
    "regions",
    "seed_order",
    "seed_stream",
    "select_combinations",
    "set_information",
    "tree_index",
]
