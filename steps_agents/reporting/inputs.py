"""Read whatever the pipeline wrote: each input file is recognised by its version marker.

``steps report`` takes files and directories (a directory such as the quickstart's output is read
one level deep). A JSON document is recognised by its ``schema`` (taxonomy, evaluation report,
synthesis run report) or, for the unversioned corpus summary of ``steps taxonomy stats --json``,
by its keys; a JSON Lines file by the ``schema`` of its first line (combinations, accepted or
rejected samples). A file named on the command line that is none of these is an error; inside a
directory it is listed as not used (task and episode files are summarised by the report
already, checkpoint databases are internal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.evaluation.report import SCHEMA as EVAL_SCHEMA
from steps_agents.evaluation.report import EvalReport
from steps_agents.fileformats import (
    COMBINATION_SCHEMA,
    SAMPLE_SCHEMA,
    SCHEMA_KEY,
    SYNTH_REPORT_SCHEMA,
    check_schema,
    iter_json_lines,
)
from steps_agents.records import Combination
from steps_agents.taxonomy.artifact import SCHEMA as TAXONOMY_SCHEMA
from steps_agents.taxonomy.artifact import Taxonomy

CORPUS_STATS_KEYS = frozenset({"singles", "pairs", "sets", "fit_method"})


@dataclass
class ReportInputs:
    """Everything one HTML report is drawn from; any part may be missing."""

    taxonomy: Taxonomy | None = None
    combinations: list[Combination] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)  # accepted: metadata dicts
    rejects: list[dict[str, Any]] = field(default_factory=list)  # metadata + reason_tag
    synth_reports: list[dict[str, Any]] = field(default_factory=list)
    eval_reports: list[EvalReport] = field(default_factory=list)
    eval_names: list[str] = field(default_factory=list)  # each report's file stem
    corpus_stats: dict[str, Any] | None = None
    used: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    taxonomy_path: str | None = None
    warnings: list[str] = field(default_factory=list)  # see taxonomy_mismatches

    def empty(self) -> bool:
        return not (
            self.taxonomy
            or self.combinations
            or self.samples
            or self.rejects
            or self.synth_reports
            or self.eval_reports
            or self.corpus_stats
        )


def _first_json_line(path: Path) -> Any:
    for _, value in iter_json_lines(path):
        return value
    return None


def _read_json_document(path: Path, inputs: ReportInputs) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    marker = data.get(SCHEMA_KEY)
    if marker == TAXONOMY_SCHEMA or (isinstance(marker, str) and "/taxonomy@" in marker):
        check_schema(marker, TAXONOMY_SCHEMA, location=path)
        if inputs.taxonomy is not None:
            raise InputError("a second taxonomy; give the report one", location=path)
        inputs.taxonomy = Taxonomy.from_dict(data, location=str(path))
        inputs.taxonomy_path = str(path)
    elif isinstance(marker, str) and "/eval-report@" in marker:
        check_schema(marker, EVAL_SCHEMA, location=path)
        inputs.eval_reports.append(EvalReport.model_validate(data))
        inputs.eval_names.append(path.stem)
    elif isinstance(marker, str) and "/synth-report@" in marker:
        check_schema(marker, SYNTH_REPORT_SCHEMA, location=path)
        inputs.synth_reports.append(data)
    elif marker is None and data.keys() >= CORPUS_STATS_KEYS:
        inputs.corpus_stats = data
    else:
        return False
    return True


def _read_json_lines(path: Path, inputs: ReportInputs) -> bool:
    try:
        first = _first_json_line(path)
    except InputError:
        return False
    marker = first.get(SCHEMA_KEY) if isinstance(first, dict) else None
    if marker == COMBINATION_SCHEMA:
        for location, row in iter_json_lines(path):
            try:
                inputs.combinations.append(Combination.model_validate(row))
            except ValueError as exc:
                first = str(exc).splitlines()[0]
                raise InputError(f"not a combination: {first}", location=location) from None
        return True
    if marker == SAMPLE_SCHEMA:
        for location, row in iter_json_lines(path):
            meta = row.get("metadata") if isinstance(row, dict) else None
            if not isinstance(meta, dict):
                raise InputError("sample line without a metadata object", location=location)
            if row.get("status") == "rejected":
                inputs.rejects.append({**meta, "reason_tag": row.get("reason_tag") or "other"})
            else:
                inputs.samples.append(meta)
        return True
    return False


def read_input(path: Path, inputs: ReportInputs) -> bool:
    """Add ``path`` to ``inputs``; ``False`` when it is no file the report knows."""
    if path.suffix == ".json" and _read_json_document(path, inputs):
        return True
    if path.suffix in (".jsonl", ".gz", ".ndjson"):
        return _read_json_lines(path, inputs)
    return False


def load_inputs(paths: list[str | Path]) -> ReportInputs:
    """Read every path (files, or directories one level deep) into one :class:`ReportInputs`."""
    inputs = ReportInputs()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.iterdir() if p.is_file()):
                (inputs.used if read_input(child, inputs) else inputs.unused).append(str(child))
        elif path.is_file():
            if not read_input(path, inputs):
                raise InputError(
                    "not a file steps report reads (a taxonomy, combinations, samples, a synthesis"
                    " or evaluation report, or `steps taxonomy stats --json` output)",
                    location=path,
                )
            inputs.used.append(str(path))
        else:
            raise InputError("no such file or directory", location=path)
    if inputs.empty():
        raise InputError(f"nothing to report: no known file in {', '.join(map(str, paths))}")
    inputs.warnings = taxonomy_mismatches(inputs)
    return inputs


def taxonomy_mismatches(inputs: ReportInputs) -> list[str]:
    """One line per input whose skills the taxonomy does not hold: a taxonomy from another
    corpus or world, whose communities and tree then describe something else."""
    if inputs.taxonomy is None:
        return []
    known = set(inputs.taxonomy.leaf_of)
    used: list[tuple[str, set[str]]] = [
        (f"evaluation report {name}", {row.skill for a in r.agents for row in a.per_skill})
        for r, name in zip(inputs.eval_reports, inputs.eval_names, strict=True)
    ]
    used.append(("samples", {str(s) for m in inputs.samples for s in m.get("skills") or []}))
    used.append(("combinations", {s for c in inputs.combinations for s in c.skills}))
    out = []
    for what, skills in used:
        missing = skills - known
        if missing:
            example = ", ".join(sorted(missing)[:3])
            out.append(
                f"{len(missing)} of the {len(skills)} skills of the {what} are not in the taxonomy"
                f" ({inputs.taxonomy_path}; e.g. {example}): it is not the taxonomy they came"
                " from, so its tree and communities do not describe them"
            )
    return out
