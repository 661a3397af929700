"""Built-in plugin: the combination selectors ``steps``, ``unconstrained``, ``longtail``,
``random``, ``random-coherent`` and ``focus`` (``steps`` steered toward an evaluation report's
failures; it reads ``focus``, ``focus_strength`` and ``focus_agent`` from the request options).

Written exactly as a third-party plugin would be: it imports the public selection API and
registers objects that implement :class:`steps_agents.selection.Selector`.
"""

from __future__ import annotations

import steps_agents
from steps_agents.hookspecs import Register
from steps_agents.selection.focused import FocusSelector
from steps_agents.selection.strategies import BeamSelector, RandomCoherentSelector, RandomSelector


@steps_agents.hookimpl
def register_selectors(register: Register) -> None:
    register(BeamSelector("steps", widening=True), name="steps")
    register(BeamSelector("unconstrained", widening=False), name="unconstrained")
    register(BeamSelector("longtail", widening=True, longtail=True), name="longtail")
    register(RandomSelector(), name="random")
    register(RandomCoherentSelector(), name="random-coherent")
    register(FocusSelector(), name="focus")
