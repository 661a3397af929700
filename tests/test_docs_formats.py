"""Keep docs/formats.md honest, cheaply: markers, fields and the complete examples match the code.

- every ``steps-agents/<name>@<n>`` marker the code contains is documented, and every marker
  the page documents (outside its "Gaps" section) is one the code contains;
- markers proposed under "Gaps" (if any) are not in the code yet (when one lands, the page must
  move it);
- every field of the documented pydantic records is named on the page, and every ``[synth]``
  key has a row in the steps.toml table;
- the examples that are complete JSON (not abridged) validate against their records.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from steps_agents.evaluation import report as eval_report
from steps_agents.evaluation.compare import Comparison, RepeatStats
from steps_agents.evaluation.config import EvalConfig
from steps_agents.evaluation.records import EpisodeResult, ToolCallRecord
from steps_agents.evaluation.scoring import CommunityRow, KRow, SkillRow
from steps_agents.fileformats import (
    COMBINATION_SCHEMA,
    EPISODE_SCHEMA,
    SAMPLE_SCHEMA,
    SYNTH_REPORT_SCHEMA,
    TASK_SCHEMA,
    check_schema,
)
from steps_agents.records import Combination, Verdict
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.records import Provenance, RunReport
from steps_agents.taxonomy.artifact import SCHEMA as TAXONOMY_SCHEMA
from steps_agents.worlds.records import AnswerPart, OracleStep, StateCheck, Task
from steps_agents.worlds.spec import ToolSpec

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "formats.md"
MARKER = re.compile(r"steps-agents/[a-z][a-z0-9-]*@\d+")
SOURCE_DIRS = ("steps_agents", "plugins", "graphs")


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _split_gaps(text: str) -> tuple[str, str]:
    head, sep, gaps = text.partition("\n## Gaps\n")
    assert sep, "docs/formats.md lost its '## Gaps' section"
    return head, gaps


def _code_markers() -> set[str]:
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            found.update(MARKER.findall(path.read_text(encoding="utf-8")))
    return found


def test_documented_markers_are_the_code_constants() -> None:
    constants = {
        TAXONOMY_SCHEMA,
        eval_report.SCHEMA,
        COMBINATION_SCHEMA,
        TASK_SCHEMA,
        EPISODE_SCHEMA,
        SAMPLE_SCHEMA,
        SYNTH_REPORT_SCHEMA,
    }
    head, gaps = _split_gaps(_doc())
    documented = set(MARKER.findall(head))
    code = _code_markers()
    assert constants <= code
    assert documented == code, (
        f"only in docs: {sorted(documented - code)}; only in code: {sorted(code - documented)}"
    )
    proposed = set(MARKER.findall(gaps))
    assert not proposed & code, f"now in code, move out of Gaps: {sorted(proposed & code)}"


def _fields(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def test_every_record_field_is_documented() -> None:
    text = _doc()
    models: list[type[BaseModel]] = [
        Combination,
        Verdict,
        Provenance,
        RunReport,
        Task,
        ToolSpec,
        OracleStep,
        AnswerPart,
        StateCheck,
        EpisodeResult,
        ToolCallRecord,
        eval_report.EvalReport,
        eval_report.AgentSummary,
        KRow,
        SkillRow,
        CommunityRow,
        RepeatStats,
        Comparison,
    ]

    def named(field: str) -> bool:
        # `field`, or a dotted path ending in it: `agents[].overall`, `checker.answer`.
        return re.search(rf"`(?:[\w\[\]]+\.)*{re.escape(field)}`", text) is not None

    missing = {
        model.__name__: sorted(f for f in _fields(model) if not named(f)) for model in models
    }
    assert not {name: fields for name, fields in missing.items() if fields}


@pytest.mark.parametrize(("config", "table"), [(SynthConfig, "synth"), (EvalConfig, "eval")])
def test_every_config_key_has_a_row(config: type[BaseModel], table: str) -> None:
    section = _doc().split("\n## steps.toml\n", 1)[1].split("\n## ", 1)[0]
    text = section.split("\n### `[eval]`\n", 1)[table == "eval"]
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert rows == set(config.model_fields), (
        f"undocumented: {sorted(set(config.model_fields) - rows)};"
        f" not config keys: {sorted(rows - set(config.model_fields))}"
    )


def _json_examples() -> list[dict[str, object]]:
    """The ```json blocks that are complete JSON objects (abridged ones contain '...')."""
    out = []
    for block in re.findall(r"```json\n(.*?)```", _doc(), flags=re.S):
        try:
            value = json.loads(block)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def test_complete_examples_validate() -> None:
    examples = _json_examples()
    seen = set()
    for example in examples:
        marker = example.get("schema")
        if marker is not None:
            check_schema(marker, str(marker), location="docs")
            assert marker in _code_markers()
        if marker == EPISODE_SCHEMA:
            EpisodeResult.model_validate(example)
            seen.add("episode")
        elif "metadata" in example:
            assert marker == SAMPLE_SCHEMA
            Provenance.model_validate(example["metadata"])
            seen.add("sample")
        elif "run_id" in example and "stop_reason" in example:
            assert marker == SYNTH_REPORT_SCHEMA
            seen.add("run report")
    assert {"episode", "sample"} <= seen
