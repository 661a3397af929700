"""Write the small pre-tagged example corpus and its lexicon (seeded, reproducible byte for byte).

    python examples/make_example_corpus.py                # writes examples/data/...
    python examples/make_example_corpus.py --seed 7 --records 2000 --out /tmp/corpus.jsonl.gz

Output:

- ``examples/data/example_corpus.jsonl.gz``: one record per line,
  ``{"id": "ex-00001", "instruction": "...", "skills": ["...", ...]}``.
- ``examples/data/lexicon.toml``: the skill vocabulary (skill -> keywords) for the ``lexicon``
  extractor, so ``steps taxonomy build examples/data/example_corpus.jsonl.gz --extractor lexicon
  --lexicon examples/data/lexicon.toml`` reads the same skills back from the instruction text.

How records are drawn (the shape STEPS section 1 describes: single skills common, combinations
long-tailed):

- 84 skills in 8 domains. Skill popularity is Zipf-like: the skills are shuffled once (seeded)
  and skill at rank r gets weight ``1 / r^1.1``.
- A record's size k is 1..5 with probabilities 0.30, 0.33, 0.20, 0.11, 0.06.
- The first skill is drawn by popularity. Each further skill comes, with probability 0.8, from
  the first skill's domain, else from a neighbouring domain (coding <-> data analysis, math <->
  reasoning, writing <-> languages, ...), again by popularity, without repeats.
- The instruction is the skills' task phrases joined into one request about a random topic.

Only ``random.Random(seed)`` is used (its sequence is stable across Python versions), so the same
seed gives the same JSONL bytes; the gzip stream has a fixed timestamp and no file name, so with
the same zlib build the .gz bytes are identical too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CORPUS = DATA_DIR / "example_corpus.jsonl.gz"
DEFAULT_LEXICON = DATA_DIR / "lexicon.toml"
DEFAULT_SEED = 2026
DEFAULT_RECORDS = 5000

SIZE_WEIGHTS = (0.30, 0.33, 0.20, 0.11, 0.06)  # k = 1..5
SAME_DOMAIN = 0.8
ZIPF_EXPONENT = 1.1

# domain -> [(skill, task phrase with an optional {topic}, extra lexicon keywords)]
SKILLS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "writing": [
        ("creative writing", "write a short piece of fiction set in {topic}", ("fiction",)),
        ("poetry", "write a poem about {topic}", ("poem", "haiku")),
        ("summarization", "summarize the key points about {topic}", ("summarize", "summary")),
        ("editing", "edit the draft about {topic} for clarity", ("edit",)),
        ("persuasive writing", "argue convincingly for {topic}", ("argue", "convincingly")),
        ("email writing", "compose an email about {topic}", ("email",)),
        ("storytelling", "tell a story that features {topic}", ("story",)),
        ("technical writing", "write documentation for {topic}", ("documentation",)),
        ("copywriting", "write ad copy for {topic}", ("ad copy", "slogan")),
        ("academic writing", "write an abstract for a paper on {topic}", ("abstract",)),
        ("outlining", "outline an article on {topic}", ("outline",)),
    ],
    "coding": [
        ("python programming", "write a Python function for {topic}", ("python",)),
        ("debugging", "find the bug in code that handles {topic}", ("bug", "traceback")),
        ("code review", "review a pull request for {topic}", ("pull request", "review")),
        ("sql", "write a SQL query over a table about {topic}", ("query",)),
        ("javascript", "build a JavaScript widget for {topic}", ("javascript",)),
        ("algorithm design", "design an efficient algorithm for {topic}", ("algorithm",)),
        ("unit testing", "write unit tests for code about {topic}", ("unit tests",)),
        ("refactoring", "refactor a messy module about {topic}", ("refactor",)),
        ("regular expressions", "write a regex that extracts fields from {topic}", ("regex",)),
        ("shell scripting", "write a bash script that automates {topic}", ("bash", "shell")),
        ("api design", "design a REST API for {topic}", ("rest api", "endpoint")),
        (
            "code explanation",
            "explain line by line what a snippet about {topic} does",
            ("snippet",),
        ),
    ],
    "math": [
        ("arithmetic", "compute the totals for {topic} by hand", ("compute",)),
        ("algebra", "set up and solve equations about {topic}", ("equations",)),
        ("geometry", "find the area of a floor plan for {topic}", ("area",)),
        ("probability", "work out the probability of an event in {topic}", ("probability",)),
        ("calculus", "use derivatives to optimise {topic}", ("derivatives", "integral")),
        ("combinatorics", "count the possible arrangements in {topic}", ("arrangements",)),
        ("number theory", "prove a divisibility fact inspired by {topic}", ("divisibility",)),
        ("word problems", "turn {topic} into a word problem and solve it", ("word problem",)),
        ("linear algebra", "represent {topic} as a matrix and solve it", ("matrix",)),
        ("unit conversion", "convert the units used in {topic}", ("convert the units",)),
    ],
    "data analysis": [
        ("data cleaning", "clean a messy dataset about {topic}", ("messy dataset",)),
        ("data visualization", "choose a chart that shows trends in {topic}", ("chart",)),
        ("spreadsheet formulas", "write spreadsheet formulas for {topic}", ("spreadsheet",)),
        ("statistical testing", "run a significance test on {topic}", ("significance test",)),
        ("csv parsing", "parse a CSV export about {topic}", ("csv",)),
        ("exploratory analysis", "explore patterns in data on {topic}", ("explore patterns",)),
        ("forecasting", "forecast next quarter's numbers for {topic}", ("forecast",)),
        ("json processing", "transform nested JSON describing {topic}", ("json",)),
        ("pandas", "use a pandas dataframe to analyse {topic}", ("dataframe",)),
        ("dashboard design", "sketch a dashboard tracking {topic}", ("dashboard",)),
    ],
    "reasoning": [
        ("logical deduction", "deduce who is responsible in a puzzle about {topic}", ("deduce",)),
        ("planning", "make a step-by-step plan for {topic}", ("step-by-step plan",)),
        ("causal reasoning", "explain what caused the change in {topic}", ("caused",)),
        ("analogical reasoning", "draw an analogy between {topic} and nature", ("analogy",)),
        (
            "critical thinking",
            "find the weak assumptions in a claim about {topic}",
            ("assumptions",),
        ),
        ("decision making", "weigh the options and decide on {topic}", ("decide", "options")),
        ("estimation", "make a Fermi estimate for {topic}", ("fermi",)),
        (
            "common sense reasoning",
            "say what would most likely happen next in {topic}",
            ("likely",),
        ),
        ("puzzle solving", "solve a riddle built around {topic}", ("riddle",)),
        ("counterfactual reasoning", "imagine {topic} had never existed", ("never existed",)),
    ],
    "languages": [
        ("translation", "translate a paragraph about {topic}", ("translate",)),
        ("grammar correction", "correct the grammar of a note about {topic}", ("grammar",)),
        ("vocabulary explanation", "explain the jargon used in {topic}", ("jargon",)),
        ("idiom explanation", "explain an idiom that fits {topic}", ("idiom",)),
        ("formal register", "rewrite a message about {topic} in a formal tone", ("formal tone",)),
        ("spanish", "answer in Spanish about {topic}", ("spanish",)),
        ("french", "answer in French about {topic}", ("french",)),
        ("german", "answer in German about {topic}", ("german",)),
        ("japanese", "answer in Japanese about {topic}", ("japanese",)),
        ("simplification", "simplify the wording of a text about {topic}", ("simplify",)),
    ],
    "science": [
        ("physics", "apply Newton's laws to {topic}", ("newton's laws",)),
        ("chemistry", "balance the chemical reactions in {topic}", ("chemical",)),
        ("biology", "describe the living systems involved in {topic}", ("living systems",)),
        ("astronomy", "relate {topic} to the night sky", ("night sky",)),
        ("experiment design", "design a controlled experiment on {topic}", ("experiment",)),
        ("scientific explanation", "explain the science behind {topic}", ("science behind",)),
        ("ecology", "assess the environmental impact of {topic}", ("environmental impact",)),
        ("medicine", "list health considerations for {topic}", ("health",)),
        ("earth science", "describe the geology relevant to {topic}", ("geology",)),
        ("energy systems", "calculate the energy use of {topic}", ("energy use",)),
    ],
    "business": [
        ("marketing", "plan a marketing campaign for {topic}", ("campaign",)),
        ("financial analysis", "analyse the budget of {topic}", ("budget",)),
        ("project management", "draw up a project timeline for {topic}", ("timeline",)),
        ("negotiation", "prepare a negotiation strategy for {topic}", ("negotiation",)),
        ("customer support", "reply to a customer complaint about {topic}", ("complaint",)),
        ("product management", "write user stories for {topic}", ("user stories",)),
        ("pricing", "propose a pricing model for {topic}", ("pricing",)),
        ("hiring", "write a job description for a role in {topic}", ("job description",)),
        ("risk assessment", "list the main risks of {topic}", ("risks",)),
        ("meeting facilitation", "write an agenda for a meeting on {topic}", ("agenda",)),
        ("business strategy", "propose a growth strategy for {topic}", ("growth strategy",)),
    ],
}

NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "writing": ("languages", "business"),
    "coding": ("data analysis", "math"),
    "math": ("reasoning", "data analysis", "science"),
    "data analysis": ("coding", "math", "business"),
    "reasoning": ("math", "science", "business"),
    "languages": ("writing",),
    "science": ("math", "reasoning", "data analysis"),
    "business": ("writing", "data analysis", "reasoning"),
}

TOPICS = (
    "a neighbourhood coffee shop",
    "a bike-sharing app",
    "a school science fair",
    "a city marathon",
    "an online bookstore",
    "a rooftop garden",
    "a hospital night shift",
    "a mountain rescue team",
    "a music festival",
    "a solar farm",
    "a public library",
    "a food truck",
    "a ferry timetable",
    "a chess club",
    "a recycling programme",
    "a startup's first hire",
    "a wedding reception",
    "a museum exhibit",
    "a weather station",
    "a delivery fleet",
    "a language exchange meetup",
    "a hiking trail",
    "a bakery's weekly orders",
    "a football league",
    "a small clinic",
)
CONNECTORS = (", then ", ", and ", "; also ", ", and finally ")


def _weighted_choice(rng: random.Random, items: list[str], weights: list[float]) -> str:
    return rng.choices(items, weights=weights, k=1)[0]


def generate(seed: int = DEFAULT_SEED, n_records: int = DEFAULT_RECORDS) -> list[dict[str, object]]:
    """The corpus records for ``seed`` (see the module docstring for the model)."""
    rng = random.Random(seed)
    domain_of = {skill: d for d, rows in SKILLS.items() for skill, _, _ in rows}
    phrase = {skill: p for rows in SKILLS.values() for skill, p, _ in rows}
    ranked = sorted(domain_of)
    rng.shuffle(ranked)
    popularity = {s: 1.0 / (r + 1) ** ZIPF_EXPONENT for r, s in enumerate(ranked)}
    all_skills = sorted(domain_of)
    records = []
    for n in range(1, n_records + 1):
        k = rng.choices(range(1, len(SIZE_WEIGHTS) + 1), weights=SIZE_WEIGHTS, k=1)[0]
        first = _weighted_choice(rng, all_skills, [popularity[s] for s in all_skills])
        chosen = [first]
        home = domain_of[first]
        while len(chosen) < k:
            domain = home if rng.random() < SAME_DOMAIN else rng.choice(NEIGHBOURS[home])
            pool = [s for s, _, _ in SKILLS[domain] if s not in chosen]
            if not pool:
                continue
            chosen.append(_weighted_choice(rng, pool, [popularity[s] for s in pool]))
        topic = rng.choice(TOPICS)
        parts = [phrase[s].format(topic=topic) for s in chosen]
        text = parts[0]
        for i, part in enumerate(parts[1:], start=1):
            text += (
                CONNECTORS[-1] if i == len(parts) - 1 and i > 1 else rng.choice(CONNECTORS[:3])
            ) + part
        records.append(
            {"id": f"ex-{n:05d}", "instruction": text[0].upper() + text[1:] + ".", "skills": chosen}
        )
    return records


def corpus_bytes(records: list[dict[str, object]]) -> bytes:
    """The uncompressed JSONL text (UTF-8), one record per line."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def write_corpus(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = corpus_bytes(records)
    if path.suffix == ".gz":
        # mtime=0 and an empty embedded name keep the compressed bytes reproducible.
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        ):
            gz.write(data)
    else:
        path.write_bytes(data)


def lexicon_text() -> str:
    """The TOML lexicon: each skill with its extra keywords (the skill name is always one too)."""
    lines = [
        "# Skill vocabulary for the `lexicon` extractor (written by examples/make_example_corpus.py).",
        '# Format: "skill name" = ["keyword", "re:regex", ...]; matching is case-insensitive and',
        "# whole-word for keywords; the skill name itself always counts as a keyword.",
    ]
    for domain, rows in SKILLS.items():
        lines.append("")
        lines.append(f"# {domain}")
        for skill, _, keywords in rows:
            lines.append(f"{json.dumps(skill)} = [{', '.join(json.dumps(k) for k in keywords)}]")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_CORPUS, help="corpus path (.gz = gzipped)"
    )
    parser.add_argument("--lexicon", type=Path, default=DEFAULT_LEXICON, help="lexicon path")
    args = parser.parse_args(argv)
    records = generate(args.seed, args.records)
    write_corpus(args.out, records)
    args.lexicon.parent.mkdir(parents=True, exist_ok=True)
    args.lexicon.write_text(lexicon_text(), encoding="utf-8")
    n_skills = len({s for r in records for s in r["skills"]})  # type: ignore[attr-defined]
    print(
        f"wrote {len(records)} records over {n_skills} skills to {args.out}; lexicon {args.lexicon}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
