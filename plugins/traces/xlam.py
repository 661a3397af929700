"""The ``xlam`` extractor: xLAM / APIGen function-calling records (``query``/``tools``/``answers``).

Spec: APIGen (Liu et al. 2024, arXiv:2406.18518), dataset ``Salesforce/xlam-function-calling-60k``
(https://huggingface.co/datasets/Salesforce/xlam-function-calling-60k): one record per query,
``{"id": 0, "query": "...", "tools": "[{\\"name\\": ..., \\"description\\": ..., \\"parameters\\":
{...}}]", "answers": "[{\\"name\\": \\"f\\", \\"arguments\\": {...}}]"}``. ``tools`` and
``answers`` are JSON *strings* in the published files and lists once loaded by ``datasets``;
both are accepted. The skills are the ``name`` of every answer, in order; ``query`` is the
record's text (:func:`steps_agents.corpus.extract.record_text`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.traces.common import TraceExtractor, call_name, loads_lenient


class XLAMExtractor(TraceExtractor):
    """Tool names of an xLAM/APIGen record's ``answers``."""

    name = "xlam"
    auto_priority = 23
    expected = "'query' and 'answers' (a list of {name, arguments}, or that list as JSON text)"

    @classmethod
    def shaped(cls, record: Mapping[str, Any]) -> bool:
        return "query" in record and isinstance(record.get("answers"), str | list)

    def tool_names(self, record: Mapping[str, Any]) -> list[str]:
        answers = record["answers"]
        if isinstance(answers, str):
            answers = loads_lenient(answers, "answers")
        if not isinstance(answers, list):
            raise ValueError(f"answers: expected a list of calls, got {type(answers).__name__}")
        return [call_name(call, f"answers[{i}]") for i, call in enumerate(answers)]
