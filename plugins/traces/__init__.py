"""Built-in plugin: tool-call trace formats as skill extractors (and the ``otel:`` source).

One module per format, each citing the spec it reads; every extractor returns the tool names a
record called, in call order, spelled exactly as called:

========== ===================================================================== ==========
extractor  record                                                                priority
========== ===================================================================== ==========
anthropic  Anthropic Messages ``messages`` with ``tool_use`` blocks              21
sharegpt   ShareGPT ``conversations``: Hermes ``<tool_call>``, ``function_call`` 22
xlam       xLAM/APIGen ``query`` + ``answers``                                   23
otel       OpenTelemetry GenAI spans of one trace (OTLP JSON or flat spans)      24
mcp        MCP JSON-RPC session ``messages`` with ``tools/call`` requests        25
========== ===================================================================== ==========

OpenAI chat trajectories (``tool_calls``, priority 20) are read by
:mod:`steps_agents.plugins.extractors`. The priorities put every trace format after ``tags``
(10) and ``tool_calls`` and before the free-text extractors (``lexicon`` 30, ``llm`` 40), so
``--extractor auto`` picks the format from each record's shape; the shapes do not overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from steps_agents.plugins.traces.anthropic import AnthropicExtractor
from steps_agents.plugins.traces.mcp import MCPExtractor
from steps_agents.plugins.traces.otel import OTelExtractor, open_otel_source
from steps_agents.plugins.traces.sharegpt import ShareGPTExtractor
from steps_agents.plugins.traces.xlam import XLAMExtractor

import steps_agents
from steps_agents.hookspecs import Register

EXTRACTORS = (AnthropicExtractor, ShareGPTExtractor, XLAMExtractor, OTelExtractor, MCPExtractor)


@steps_agents.hookimpl
def register_skill_extractors(register: Register) -> None:
    for extractor in EXTRACTORS:
        register(extractor, name=extractor.name)


@steps_agents.hookimpl
def open_corpus_source(source: str, options: Mapping[str, Any]) -> Iterable[Any] | None:
    return open_otel_source(source)
