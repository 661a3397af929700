"""The instruct mode with a real corpus: one seed example per skill, uncomposable replaced."""

from __future__ import annotations

import json
from pathlib import Path

from helpers_synthesis import SynthFakeModel, read_jsonl
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.models import ModelClient, ModelOptions
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.config import SynthConfig


def test_seed_examples_are_attached_and_combinations_without_them_replaced(
    tmp_path: Path,
) -> None:
    taxonomy = random_taxonomy(16, height=2, seed=4)
    skills = list(taxonomy.skills)
    seeded = skills[:12]  # the last four skills have no example in the corpus
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w") as handle:
        for i, skill in enumerate(seeded):
            record = {
                "id": f"doc{i}",
                "instruction": f"Example task number {i} for {skill}.",
                "skills": [skill],
            }
            handle.write(json.dumps(record) + "\n")
    model = ModelClient.from_model(
        SynthFakeModel(), options=ModelOptions(max_retries=0), spec="fake"
    )
    config = SynthConfig(
        n=8,
        k=(2, 3),
        corpus=str(corpus),
        output=tmp_path / "out.jsonl",
        run_id="seeds",
        judges=["format"],
    )
    report = run_synthesis(config, model=model, taxonomy=taxonomy, progress=False)
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert report.accepted == len(rows) == 8
    for row in rows:
        meta = row["metadata"]
        assert set(meta["skills"]) <= set(seeded)
        assert len(meta["seed_examples"]) == meta["k"]
        assert {f"doc{seeded.index(s)}" for s in meta["skills"]} == set(meta["seed_examples"])
    prompts = model.model.prompts  # type: ignore[attr-defined]
    assert all("Seed examples, one per skill" in p and "Example task number" in p for p in prompts)
    # The selector is deterministic: with this seed it proposes sets holding unseeded skills,
    # which the mode declares uncomposable and the composer replaces.
    assert report.uncomposable > 0
    assert report.rejection_reasons == {"uncomposable: no seed example": report.uncomposable}
