"""Write notes.csv, the plugin's tiny demo corpus (seeded: the same file every run).

python examples/steps-agents-csv/make_notes.py
"""

import csv
import random
from pathlib import Path

TAGS = {
    "python": ["pandas", "regex", "testing"],
    "writing": ["summary", "email", "tone"],
    "math": ["algebra", "probability", "statistics"],
}


def main(seed: int = 7, n: int = 120) -> None:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        domain = rng.choice(list(TAGS))
        chosen = {domain} | set(rng.sample(TAGS[domain], rng.choice([1, 1, 2])))
        if rng.random() < 0.1:  # an occasional cross-domain note: the rare combinations
            chosen.add(rng.choice([d for d in TAGS if d != domain]))
        rows.append(
            {"id": f"n{i}", "text": f"Note {i}: " + " ".join("#" + t for t in sorted(chosen))}
        )
    out = Path(__file__).with_name("notes.csv")
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
