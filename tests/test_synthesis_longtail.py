"""`steps synth` hands the corpus's skill-set counts to the selector, so `longtail` keeps its filter."""

from __future__ import annotations

import json
from pathlib import Path

from helpers_synthesis import SynthFakeModel, read_jsonl
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.models import ModelClient, ModelOptions
from steps_agents.selection import select_combinations
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.config import SynthConfig


def test_longtail_in_synthesis_with_a_corpus_produces_no_combination_of_the_corpus(
    tmp_path: Path,
) -> None:
    taxonomy = random_taxonomy(16, height=2, seed=4)
    # Every skill alone (a seed example each) and the ten pairs the unfiltered selector ranks
    # first: the corpus holds the pairs the search favours, which longtail must never propose.
    favourites = select_combinations(taxonomy, n=10, k=[2], selector="steps", seed=0)
    sets = [[s] for s in taxonomy.skills] + [sorted(c.skills) for c in favourites]
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w") as handle:
        for i, names in enumerate(sets):
            record = {
                "id": f"doc{i}",
                "instruction": f"Task {i}: {', '.join(names)}.",
                "skills": names,
            }
            handle.write(json.dumps(record) + "\n")
    in_corpus = {frozenset(names) for names in sets}
    model = ModelClient.from_model(
        SynthFakeModel(), options=ModelOptions(max_retries=0), spec="fake"
    )
    config = SynthConfig(
        n=10,
        k=(2, 2),
        selector="longtail",
        corpus=str(corpus),
        output=tmp_path / "out.jsonl",
        run_id="longtail",
        judges=["format"],
    )
    report = run_synthesis(config, model=model, taxonomy=taxonomy, progress=False)
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert report.accepted == len(rows) == 10
    used = {frozenset(row["metadata"]["skills"]) for row in rows}
    assert len(used) == 10 and not used & in_corpus
