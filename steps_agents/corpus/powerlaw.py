"""The power-law analysis of STEPS section 1: are skill *combinations* long-tailed?

For single skills (``c_i``), pairs (``c_ij``) and whole skill sets (how many records carry
exactly that set, also split by set size k) this module reports:

- the frequency distribution, binned by powers of two (how many items were seen once, 2-3
  times, 4-7 times, ...);
- a fitted power-law exponent ``alpha`` of that distribution, ``P(count = x) ∝ x^-alpha`` for
  ``x >= xmin``, by the method of Clauset, Shalizi & Newman, "Power-law distributions in empirical
  data", SIAM Review 51(4), 2009: for each candidate ``xmin``, ``alpha`` maximises the exact
  discrete log-likelihood ``L(alpha) = -n ln zeta(alpha, xmin) - alpha sum ln x_i`` (``zeta`` the
  Hurwitz zeta function, computed here by Euler-Maclaurin; ``L`` is concave in ``alpha`` so a
  golden-section search finds the maximum), and ``xmin`` is the candidate whose fitted tail CDF has
  the smallest Kolmogorov-Smirnov distance to the empirical one. Standard error
  ``(alpha - 1) / sqrt(n_tail)``. The equivalent Zipf rank-frequency exponent is ``1/(alpha-1)``.
  (No bootstrap p-value: the KS distance is reported so the fit quality is visible, and a
  likelihood-ratio test against an exponential tail says whether the tail is heavy at all.)
- coverage: the share of the ``C(n, k)`` possible k-combinations that ever occur, both inside
  some record (as a subset) and as a whole record's set;
- head and tail: the share of occurrences held by the top 1% and 10% of items, and the share of
  items (and of records) seen only once.

Numpy only; no scipy.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from itertools import combinations
from typing import Any

import numpy as np

from steps_agents.corpus.cooccurrence import CooccurrenceCounts

FIT_METHOD = (
    "discrete power-law MLE (Clauset, Shalizi & Newman 2009): alpha maximises the exact discrete"
    " likelihood with a Hurwitz-zeta normaliser; xmin minimises the Kolmogorov-Smirnov distance"
    " between the empirical and fitted tail CDFs"
)
MIN_TAIL = 10  # fewer tail points than this give no meaningful exponent
MAX_XMIN_CANDIDATES = 60
SUBSET_BUDGET = 5_000_000  # cap on sub-combinations enumerated for coverage per k

# Euler-Maclaurin tail of the Hurwitz zeta: Bernoulli numbers B_2, B_4, B_6, B_8 over (2j)!.
M_DIRECT = 10
_BERNOULLI = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0)


def hurwitz_zeta(s: float, q: np.ndarray | float) -> np.ndarray:
    """``zeta(s, q) = sum_{k>=0} (q + k)^-s`` for ``s > 1`` and ``q >= 1`` (vectorised over q).

    Sums the first 10 terms directly and the rest by Euler-Maclaurin with four Bernoulli
    corrections; relative error below 1e-12 for ``s`` in (1, 20].
    """
    if s <= 1.0:
        raise ValueError("hurwitz_zeta needs s > 1")
    q = np.asarray(q, dtype=np.float64)
    k = np.arange(M_DIRECT, dtype=np.float64)
    head = np.sum((q[..., None] + k) ** -s, axis=-1)
    n = q + M_DIRECT
    tail = n ** (1.0 - s) / (s - 1.0) + 0.5 * n**-s
    rising = s  # s (s+1) ... (s + 2j - 2)
    for j, b in enumerate(_BERNOULLI, start=1):
        if j > 1:
            rising *= (s + 2 * j - 3) * (s + 2 * j - 2)
        tail = tail + b / math.factorial(2 * j) * rising * n ** (-s - 2 * j + 1)
    return np.asarray(head + tail)


def _zeta1(s: float, q: float) -> float:
    return float(hurwitz_zeta(s, q))


def _mle_alpha(log_sum: float, n: int, xmin: float, lo: float = 1.0001, hi: float = 12.0) -> float:
    """Golden-section maximisation of the concave discrete log-likelihood over alpha."""

    def neg_ll(alpha: float) -> float:
        return n * math.log(_zeta1(alpha, xmin)) + alpha * log_sum

    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = neg_ll(c), neg_ll(d)
    while b - a > 1e-7:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = neg_ll(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = neg_ll(d)
    return (a + b) / 2.0


def _ks_distance(tail: np.ndarray, alpha: float, xmin: float) -> float:
    """``max_x |F_emp(x) - F_fit(x)|`` over the distinct tail values, ``F(x) = P(X <= x)``."""
    values, counts = np.unique(tail, return_counts=True)
    emp = np.cumsum(counts) / tail.shape[0]
    fit = 1.0 - hurwitz_zeta(alpha, values + 1.0) / _zeta1(alpha, xmin)
    return float(np.max(np.abs(emp - fit)))


def compare_exponential(tail: np.ndarray, alpha: float, xmin: float) -> dict[str, float | None]:
    """Likelihood-ratio test of the fitted power law against a discrete exponential tail.

    The exponential ``p(x) = (1 - e^-lam) e^(-lam (x - xmin))`` is fitted by maximum likelihood on
    the same tail (``e^-lam = m / (1 + m)``, m the mean of ``x - xmin``). ``llr`` is the summed
    per-point log-likelihood ratio (positive favours the power law) and ``llr_p`` Vuong's
    two-sided p-value for its sign (Clauset et al. 2009, section 5.1): a small p with a positive
    ``llr`` means the tail is heavier than exponential, i.e. genuinely long-tailed.
    """
    n = tail.shape[0]
    m = float(tail.mean() - xmin)
    log_pl = -alpha * np.log(tail) - math.log(_zeta1(alpha, xmin))
    if m <= 0.0:  # every value equals xmin: the exponential degenerates to a point mass
        return {"llr": None, "llr_p": None}
    lam = math.log((1.0 + m) / m)
    log_exp = math.log(-math.expm1(-lam)) - lam * (tail - xmin)
    d = log_pl - log_exp
    llr = float(d.sum())
    spread = float(d.std())
    p = math.erfc(abs(llr) / (spread * math.sqrt(2.0 * n))) if spread > 0 else 0.0
    return {"llr": llr, "llr_p": p}


def fit_power_law(values: Iterable[int]) -> dict[str, Any] | None:
    """Fit ``P(x) ∝ x^-alpha`` (x >= xmin) to positive integer ``values`` (module docstring).

    Returns ``None`` when fewer than ``MIN_TAIL`` values or fewer than two distinct values make
    an exponent meaningless. Otherwise a dict with ``alpha``, ``sigma``, ``xmin``, ``n_tail``,
    ``n``, ``ks``, ``zipf_exponent``, ``llr`` and ``llr_p`` (:func:`compare_exponential`) and
    ``method``.
    """
    x = np.asarray([v for v in values if v >= 1], dtype=np.float64)
    if x.shape[0] < MIN_TAIL or np.unique(x).shape[0] < 2:
        return None
    x.sort()
    distinct = np.unique(x)
    # Every distinct value when few; otherwise a geometric spread that keeps the small values
    # (where most of the data and most of the choice lies) and thins out the large ones.
    if distinct.shape[0] > MAX_XMIN_CANDIDATES:
        picks = np.unique(np.geomspace(1, distinct.shape[0], MAX_XMIN_CANDIDATES).astype(int) - 1)
        candidates = distinct[picks]
    else:
        candidates = distinct
    best: dict[str, Any] | None = None
    for xmin in candidates[:-1]:  # the largest value alone leaves no distribution to fit
        tail = x[np.searchsorted(x, xmin) :]
        if tail.shape[0] < MIN_TAIL or np.unique(tail).shape[0] < 2:
            continue
        alpha = _mle_alpha(float(np.log(tail).sum()), int(tail.shape[0]), float(xmin))
        ks = _ks_distance(tail, alpha, float(xmin))
        if best is None or ks < best["ks"]:
            best = {"alpha": alpha, "xmin": int(xmin), "n_tail": int(tail.shape[0]), "ks": ks}
    if best is None:
        return None
    tail = x[np.searchsorted(x, best["xmin"]) :]
    best.update(compare_exponential(tail, best["alpha"], float(best["xmin"])))
    best["sigma"] = (best["alpha"] - 1.0) / math.sqrt(best["n_tail"])
    best["n"] = int(x.shape[0])
    best["zipf_exponent"] = 1.0 / (best["alpha"] - 1.0)
    best["method"] = FIT_METHOD
    return best


def log2_bins(values: Iterable[int]) -> list[dict[str, int]]:
    """Frequency-of-frequency histogram: items seen 1, 2-3, 4-7, ... times (empty bins omitted)."""
    hist: Counter[int] = Counter()
    for v in values:
        if v >= 1:
            hist[int(v).bit_length() - 1] += 1
    return [{"min": 1 << b, "max": (1 << (b + 1)) - 1, "items": hist[b]} for b in sorted(hist)]


def head_tail(values: np.ndarray) -> dict[str, Any]:
    """Concentration of a list of occurrence counts (one per distinct item)."""
    v = np.sort(np.asarray(values, dtype=np.int64))[::-1]
    total = int(v.sum())
    n = int(v.shape[0])

    def top(share: float) -> float:
        k = max(1, math.ceil(share * n))
        return float(v[:k].sum() / total) if total else 0.0

    once = int((v == 1).sum())
    return {
        "distinct": n,
        "occurrences": total,
        "top_1pct_items": max(1, math.ceil(0.01 * n)) if n else 0,
        "top_1pct_share": top(0.01),
        "top_10pct_share": top(0.10),
        "seen_once_share_of_items": once / n if n else 0.0,
        "seen_once_share_of_occurrences": once / total if total else 0.0,
        "max": int(v[0]) if n else 0,
        "median": float(np.median(v)) if n else 0.0,
    }


def _distribution(values: np.ndarray) -> dict[str, Any]:
    return {
        "frequency": log2_bins(values.tolist()),
        "fit": fit_power_law(values.tolist()),
        **head_tail(values),
    }


def _subset_coverage(counts: CooccurrenceCounts, k: int) -> int | None:
    """Distinct k-combinations occurring inside some record, or ``None`` over the budget.

    Each combination is encoded as one int64 (ids as digits base n) when ``n^k`` fits, so the
    distinct count is a numpy ``unique`` over a flat array instead of a set of tuples.
    """
    work = sum(math.comb(len(key), k) for key in counts.sets if len(key) >= k)
    if work > SUBSET_BUDGET:
        return None
    n = counts.n_skills
    if n**k >= 2**63:
        seen: set[tuple[int, ...]] = set()
        for key in counts.sets:
            if len(key) >= k:
                seen.update(combinations(key, k))
        return len(seen)
    weights = [n**j for j in range(k)]
    codes: array[int] = array("q")
    for key in counts.sets:
        if len(key) >= k:
            codes.extend(
                sum(i * w for i, w in zip(combo, weights, strict=True))
                for combo in combinations(key, k)
            )
    return int(np.unique(np.frombuffer(codes, dtype=np.int64)).shape[0]) if codes else 0


def corpus_statistics(
    counts: CooccurrenceCounts, *, max_k: int = 5, top: int = 5
) -> dict[str, Any]:
    """The whole section-1 report for a counted corpus, as a JSON-ready dict (it needs the
    exact sets: ``ValueError`` for counts taken with ``keep_sets=False``)."""
    counts.kept_sets()
    n = counts.n_skills
    names = counts.skills
    set_sizes = Counter({len(key): 0 for key in counts.sets})
    for key, c in counts.sets.items():
        set_sizes[len(key)] += c
    sets_arr = np.fromiter(counts.sets.values(), dtype=np.int64, count=len(counts.sets))
    by_k: list[dict[str, Any]] = []
    for k in sorted(set_sizes):
        vals = np.asarray([c for key, c in counts.sets.items() if len(key) == k], dtype=np.int64)
        row: dict[str, Any] = {
            "k": k,
            "records": int(set_sizes[k]),
            "distinct_sets": int(vals.shape[0]),
            "possible": math.comb(n, k),
            "share_of_possible_as_whole_set": vals.shape[0] / math.comb(n, k) if n >= k else 0.0,
            "sets_seen_once_share": float((vals == 1).mean()) if vals.size else 0.0,
            "fit": fit_power_law(vals.tolist()),
        }
        if k >= 2 and k <= max_k:
            inside = counts.n_pairs if k == 2 else _subset_coverage(counts, k)
            row["occurring_inside_records"] = inside
            row["share_of_possible_inside_records"] = (
                inside / math.comb(n, k) if inside is not None and n >= k else None
            )
        by_k.append(row)
    a, b = counts.pair_ids()
    top_pairs = np.argsort(-counts.pair_values, kind="stable")[:top]
    top_sets = counts.sets.most_common(top)
    single_order = np.argsort(-counts.single, kind="stable")[:top]
    possible_pairs = math.comb(n, 2)
    return {
        "records": counts.n_records,
        "skills": n,
        "mean_set_size": float(sum(k * c for k, c in set_sizes.items()) / counts.n_records),
        "pairs_seen": counts.n_pairs,
        "pairs_possible": possible_pairs,
        "pair_coverage": counts.n_pairs / possible_pairs if possible_pairs else 0.0,
        "singles": _distribution(counts.single),
        "pairs": _distribution(counts.pair_values),
        "sets": _distribution(sets_arr),
        "by_k": by_k,
        "top": {
            "skills": [[names[i], int(counts.single[i])] for i in single_order],
            "pairs": [
                [[names[int(a[i])], names[int(b[i])]], int(counts.pair_values[i])]
                for i in top_pairs
            ],
            "sets": [[[names[i] for i in key], c] for key, c in top_sets],
        },
        "fit_method": FIT_METHOD,
    }
